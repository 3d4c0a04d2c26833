import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { TableNotFoundError } from './errors.js';
import { RECORD } from './record.js';

/**
 * Dedup records this container has seen committed, newest kept: an optimisation only. A hit
 * skips the handler and DynamoDB; a miss (another container, a restart) changes nothing, since
 * the transaction's condition stays the source of truth.
 */
export class CommittedKeyCache {
  private readonly records = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlAttribute: string,
  ) {}

  get(recordKey: string): Record<string, unknown> | undefined {
    const record = this.records.get(recordKey);
    if (!record) return undefined;
    if (isExpired(record, this.ttlAttribute)) {
      this.records.delete(recordKey);
      return undefined;
    }
    return record;
  }

  set(recordKey: string, record: Record<string, unknown>): void {
    this.records.delete(recordKey);
    this.records.set(recordKey, record);
    if (this.records.size > this.maxEntries) this.records.delete(this.records.keys().next().value as string);
  }
}

/** A strongly consistent read of the dedup record; an expired one counts as absent. */
export async function readRecord(
  client: DynamoDBDocumentClient,
  tableName: string,
  recordKey: string,
  ttlAttribute: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await client
    .send(new GetCommand({ TableName: tableName, Key: { [RECORD.key]: recordKey }, ConsistentRead: true }))
    .catch((error: unknown) => {
      throw (error as { name?: string })?.name === 'ResourceNotFoundException'
        ? new TableNotFoundError([tableName], error)
        : error;
    });
  return Item && !isExpired(Item, ttlAttribute) ? Item : undefined;
}

function isExpired(record: Record<string, unknown>, ttlAttribute: string): boolean {
  const expiresAt = record[ttlAttribute];
  return typeof expiresAt === 'number' && expiresAt < Math.floor(Date.now() / 1000);
}
