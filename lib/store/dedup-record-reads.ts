import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { TableNotFoundError } from '../shared/errors.js';
import { type DedupRecord, isExpired, RECORD } from './dedup-record.js';

/** Where the dedup records live and how a precheck reads them. */
export interface RecordReads {
  client: DynamoDBDocumentClient;
  tableName: string;
  ttlAttribute: string;
  consistentRead: boolean;
}

/** A read of the dedup record; an expired one counts as absent. */
export async function readRecord(reads: RecordReads, recordKey: string): Promise<DedupRecord | undefined> {
  const { Item } = await reads.client
    .send(
      new GetCommand({
        TableName: reads.tableName,
        Key: { [RECORD.key]: recordKey },
        ConsistentRead: reads.consistentRead,
      }),
    )
    .catch(namingTheTable(reads.tableName));
  return Item && !isExpired(Item, reads.ttlAttribute) ? Item : undefined;
}

/** BatchGetItem takes at most 100 keys a call. */
const BATCH_GET_KEYS = 100;
/** Rounds for the keys DynamoDB leaves unprocessed (throttled), with a short backoff between. */
const UNPROCESSED_ROUNDS = 3;
const UNPROCESSED_BACKOFF_MS = 50;

/**
 * Reads many dedup records in BatchGetItem calls of at most 100 keys, retrying the keys DynamoDB
 * leaves unprocessed. Each key read comes back: its record, or null when there is none (or it
 * expired). A key still unprocessed after the last round is left out: not known, so its delivery
 * goes through the transaction, which guards it anyway.
 */
export async function readRecords(
  reads: RecordReads,
  recordKeys: Iterable<string>,
): Promise<Map<string, DedupRecord | null>> {
  const found = new Map<string, DedupRecord | null>();
  const unique = [...new Set(recordKeys)]; // BatchGetItem refuses a key twice in one call
  for (let start = 0; start < unique.length; start += BATCH_GET_KEYS) {
    let pending = unique.slice(start, start + BATCH_GET_KEYS);
    for (let round = 0; round < UNPROCESSED_ROUNDS && pending.length > 0; round++) {
      if (round > 0) await sleep(UNPROCESSED_BACKOFF_MS * 2 ** (round - 1));
      const { Responses, UnprocessedKeys } = await reads.client
        .send(
          new BatchGetCommand({
            RequestItems: {
              [reads.tableName]: {
                Keys: pending.map((key) => ({ [RECORD.key]: key })),
                ConsistentRead: reads.consistentRead,
              },
            },
          }),
        )
        .catch(namingTheTable(reads.tableName));
      const unprocessed = new Set(
        (UnprocessedKeys?.[reads.tableName]?.Keys ?? []).map((key) => String(key[RECORD.key])),
      );
      for (const item of Responses?.[reads.tableName] ?? []) {
        found.set(String(item[RECORD.key]), isExpired(item, reads.ttlAttribute) ? null : item);
      }
      for (const key of pending) if (!unprocessed.has(key) && !found.has(key)) found.set(key, null);
      pending = pending.filter((key) => unprocessed.has(key));
    }
  }
  return found;
}

/** DynamoDB's ResourceNotFoundException names no table: this read knows which one it asked for. */
function namingTheTable(tableName: string): (error: unknown) => never {
  return (error) => {
    throw (error as { name?: string })?.name === 'ResourceNotFoundException'
      ? new TableNotFoundError([tableName], error)
      : error;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
