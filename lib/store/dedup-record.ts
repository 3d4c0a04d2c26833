import { IdempotencyKeyReuseError, TransactionLimitError, UnstorableResultError } from '../shared/errors.js';
import { faithfulJson } from '../shared/faithful-json.js';
import type { Jsonified } from '../shared/jsonified.js';
import { itemBytes, MAX_ITEM_BYTES } from './limits.js';
import type { RunOutcome } from './run-outcome.js';
import type { TransactWriteItem } from './staged-writes.js';

// The dedup record's one home: what it holds, how a commit writes it (with its expiry and the
// first delivery's result), when it counts as expired, and what a stored one means for a later
// delivery. The store reads it (dedup-record-reads.ts) and commits it (pending-run.ts) through here.

/** Attribute names of the dedup record (the TTL attribute name is an option). */
export const RECORD = {
  key: 'pk',
  firstSeenAt: 'firstSeenAt',
  runId: 'runId',
  fingerprint: 'fingerprint',
  result: 'result',
  resultOmitted: 'resultOmitted',
} as const;

/**
 * A dedup record as DynamoDB holds it. Every attribute is optional to a reader: a record written
 * by hand or by an older writer may lack any of them (and a cancelled commit may return none),
 * so each reader checks what it uses. The TTL attribute's name is an option, hence the index.
 */
export interface DedupRecord {
  /** "<source>#<key>", or the hashed form for a long key (dedup-key.ts) */
  pk?: string;
  /** when the first delivery committed, ISO 8601 */
  firstSeenAt?: string;
  /** the committing delivery's own id: a retry that finds it knows it committed */
  runId?: string;
  fingerprint?: string;
  /** the first delivery's result as JSON text */
  result?: string;
  /** the result was too large to store */
  resultOmitted?: boolean;
  readonly [attribute: string]: unknown;
}

/** What a commit writes for one delivery. */
export interface NewRecord {
  recordKey: string;
  runId: string;
  fingerprint: string | undefined;
  /** seconds the record lives; undefined: it never expires */
  ttlSeconds: number | undefined;
  ttlAttribute: string;
  /** how large a result may be, and what happens to a larger one */
  maxResultBytes: number;
  resultTooLarge: 'omit' | 'error';
}

/**
 * The conditional Put of a delivery's dedup record, the result stored in it: it succeeds only
 * where no record is (or only an expired one the TTL sweeper has not deleted yet).
 */
export function dedupRecordPut(
  tableName: string,
  record: NewRecord,
  result: unknown,
): NonNullable<TransactWriteItem['Put']> & { Item: DedupRecord } {
  const { ttlSeconds, ttlAttribute } = record;
  const now = Date.now();
  const nowSeconds = Math.floor(now / 1000);
  const item: Record<string, unknown> = {
    [RECORD.key]: record.recordKey,
    [RECORD.firstSeenAt]: new Date(now).toISOString(),
    [RECORD.runId]: record.runId,
  };
  if (record.fingerprint !== undefined) item[RECORD.fingerprint] = record.fingerprint;
  if (ttlSeconds !== undefined) item[ttlAttribute] = nowSeconds + ttlSeconds;
  storeResult(item, result, record);

  const names: Record<string, string> = { '#pk': RECORD.key };
  if (ttlSeconds === undefined) {
    return {
      TableName: tableName,
      Item: item,
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: names,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }
  // An expired record that DynamoDB's TTL sweeper has not deleted yet must not block.
  return {
    TableName: tableName,
    Item: item,
    ConditionExpression: 'attribute_not_exists(#pk) OR #expires < :now',
    ExpressionAttributeNames: { ...names, '#expires': ttlAttribute },
    ExpressionAttributeValues: { ':now': nowSeconds },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * Results are stored as JSON text: one that would not come back the same is refused, one that
 * would not fit is omitted or refused, by option.
 */
function storeResult(item: Record<string, unknown>, result: unknown, limits: NewRecord): void {
  if (result === undefined) return;
  const stored = faithfulJson(result);
  if ('loss' in stored) throw new UnstorableResultError(stored.loss, { cause: stored.cause });
  const { json } = stored;
  if (json === undefined) return; // a toJSON that returned undefined: nothing to replay, as for a void handler
  const resultBytes = Buffer.byteLength(json, 'utf8');
  const room = Math.min(limits.maxResultBytes, MAX_ITEM_BYTES - itemBytes(item) - RECORD.result.length);
  if (resultBytes <= room) {
    item[RECORD.result] = json;
    return;
  }
  if (limits.resultTooLarge === 'error') {
    throw new TransactionLimitError(
      `The handler's result is ${resultBytes} bytes as JSON; at most ${room} can be stored with the dedup record. ` +
        'Return a smaller result (an id, a status), or set resultTooLarge: "omit".',
    );
  }
  item[RECORD.resultOmitted] = true;
}

/** A record whose TTL has passed counts as absent, though DynamoDB may not have deleted it yet. */
export function isExpired(record: DedupRecord, ttlAttribute: string): boolean {
  const expiresAt = record[ttlAttribute];
  return typeof expiresAt === 'number' && expiresAt < Math.floor(Date.now() / 1000);
}

/** The delivery a stored record is compared with. */
export interface Delivery<R> {
  recordKey: string;
  runId: string;
  fingerprint: string | undefined;
  /** its own result, should the record turn out to be its own commit */
  ownResult?: R;
}

/**
 * What a stored record means for this delivery: its own earlier commit (the same runId), a
 * duplicate, or a reused key (another fingerprint).
 */
export function outcomeOf<R>(record: DedupRecord, delivery: Delivery<R>): RunOutcome<R> {
  // Our own earlier attempt committed and its response was lost: this delivery is the commit.
  if (record[RECORD.runId] === delivery.runId) return { status: 'committed', result: delivery.ownResult as R };
  const firstSeenAt = String(record[RECORD.firstSeenAt] ?? '');
  const storedFingerprint = record[RECORD.fingerprint];
  if (
    delivery.fingerprint !== undefined &&
    typeof storedFingerprint === 'string' &&
    storedFingerprint !== delivery.fingerprint
  ) {
    throw new IdempotencyKeyReuseError(delivery.recordKey, firstSeenAt || undefined);
  }
  if (record[RECORD.resultOmitted] === true) {
    return { status: 'duplicate', firstSeenAt, result: undefined, resultOmitted: true };
  }
  const stored = record[RECORD.result];
  return {
    status: 'duplicate',
    firstSeenAt,
    // no stored result: the first handler returned undefined
    result: (typeof stored === 'string' ? JSON.parse(stored) : undefined) as Jsonified<R>,
    resultOmitted: false,
  };
}
