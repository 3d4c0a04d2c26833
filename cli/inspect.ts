import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { recordKey } from '../lib/index.js';
import { UsageError } from './exit-codes.js';

export interface InspectedRecord {
  recordKey: string;
  found: boolean;
  firstSeenAt?: string;
  result?: unknown;
  resultOmitted?: boolean;
  fingerprint?: string;
  expiresAt?: string;
  runId?: string;
}

/** Reads one dedup record: when the key was first committed, with what result, until when. */
export async function inspectRecord(options: {
  dynamo: DynamoDBDocumentClient;
  table: string;
  source: string;
  key: string;
  ttlAttribute?: string;
}): Promise<InspectedRecord> {
  if (!options.source) throw new UsageError("The source is empty: pass the key namespace (the store's source).");
  if (!options.key) throw new UsageError('The key is empty: pass the idempotency key the event was processed under.');
  const pk = recordKey(options.source, options.key);
  const { Item } = await options.dynamo.send(
    new GetCommand({ TableName: options.table, Key: { pk }, ConsistentRead: true }),
  );
  if (!Item) return { recordKey: pk, found: false };
  const expires = Item[options.ttlAttribute ?? 'expiresAt'];
  return {
    recordKey: pk,
    found: true,
    firstSeenAt: Item.firstSeenAt,
    result: typeof Item.result === 'string' ? JSON.parse(Item.result) : undefined,
    resultOmitted: Item.resultOmitted === true,
    fingerprint: Item.fingerprint,
    expiresAt: typeof expires === 'number' ? new Date(expires * 1000).toISOString() : 'never (durable)',
    runId: Item.runId,
  };
}
