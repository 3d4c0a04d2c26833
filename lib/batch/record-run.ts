import type { Context } from 'aws-lambda';
import { parsePayload, type StandardSchemaV1 } from '../shared/schema.js';
import { keyTextOf } from '../store/dedup-key.js';
import type { Idempotency, PrecheckedBatch } from '../store/idempotency.js';
import type { RunOutcome } from '../store/run-outcome.js';
import type { Tx } from '../store/staged-writes.js';

/** What every batch handler (SQS, Kinesis, DynamoDB Streams) needs to run one record. */
export interface RecordRunSettings<Rec, R, P> {
  store: Idempotency;
  handler: (record: Rec, tx: Tx, context: Context, payload: P) => Promise<R> | R;
  key: (record: Rec) => unknown;
  fingerprint?: (record: Rec) => unknown;
  schema?: StandardSchemaV1;
  payload: (record: Rec) => unknown;
}

/**
 * Runs one record in its own transaction: its key, its payload parsed by the schema (if any),
 * then the handler's staged writes with the dedup record. What a failure means is the caller's.
 */
export async function runRecord<Rec, R, P>(
  settings: RecordRunSettings<Rec, R, P>,
  record: Rec,
  context: Context,
  prechecked?: PrecheckedBatch,
): Promise<{ outcome: RunOutcome<R>; key: string } | { error: unknown; key: string | undefined }> {
  let key: string | undefined;
  try {
    const rawKey = settings.key(record);
    key = keyTextOf(rawKey);
    const { schema } = settings;
    const payload = (schema ? await parsePayload(schema, () => settings.payload(record)) : undefined) as P;
    const outcome = await settings.store.run(
      { key: rawKey, fingerprint: settings.fingerprint?.(record) },
      (tx) => settings.handler(record, tx, context, payload),
      prechecked,
    );
    return { outcome, key: key as string };
  } catch (error) {
    return { error, key };
  }
}

/**
 * With a store that prechecks now: the batch's dedup records, read in one BatchGetItem (per 100
 * keys) before any handler runs, so known duplicates need no read or transaction of their own.
 * A key function that throws is left out here; the record's own run reports it.
 */
export async function precheckRecords<Rec>(
  settings: Pick<RecordRunSettings<Rec, unknown, unknown>, 'store' | 'key'>,
  records: Rec[],
): Promise<PrecheckedBatch | undefined> {
  // a store from another copy of txonce (checked by shape) may not have it
  if (typeof settings.store.precheckBatch !== 'function' || !settings.store.prechecking) return undefined;
  const keys = records.flatMap((record) => {
    try {
      return [settings.key(record)];
    } catch {
      return [];
    }
  });
  return settings.store.precheckBatch(keys);
}
