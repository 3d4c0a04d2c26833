import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { MissingIdempotencyKeyError } from './errors.js';
import type { Idempotency } from './idempotency.js';
import type { Tx } from './staged-writes.js';

export interface SqsBatchHandlerOptions<R> {
  store: Idempotency;
  /** Runs once per record, in that record's own transaction. Stage business writes on `tx`. */
  handler: (record: SQSRecord, tx: Tx, context: Context) => Promise<R> | R;
  /** The record's idempotency key. Default: the `idempotencyKey` string attribute, else the messageId. */
  key?: (record: SQSRecord) => unknown;
  /** What must match on a repeat of the key (e.g. the body). Default: not compared. */
  fingerprint?: (record: SQSRecord) => unknown;
  /** Records processed at once. Default 10. */
  concurrency?: number;
}

/**
 * The default key. A key set by the producer (the webhook id, the event id) names the event
 * itself, so the same event sent twice is caught; the messageId names one SQS message, and a
 * producer that retries a send creates a new message with a new id.
 */
export function defaultSqsKey(record: SQSRecord): string {
  const attribute = record.messageAttributes?.idempotencyKey;
  if (attribute === undefined) return record.messageId;
  if (typeof attribute.stringValue !== 'string' || attribute.stringValue.length === 0) {
    throw new MissingIdempotencyKeyError(
      `message ${record.messageId} has an idempotencyKey attribute without a string value`,
    );
  }
  return attribute.stringValue;
}

/**
 * A Lambda handler for SQS events: each record runs in its own transaction, and the response
 * names only the records that did not commit (`reportBatchItemFailures` must be on), so SQS
 * redelivers those alone. Duplicates count as done.
 */
export function sqsBatchHandler<R>(
  options: SqsBatchHandlerOptions<R>,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const { store, handler, key = defaultSqsKey, fingerprint, concurrency = 10 } = options ?? {};
  if (!store || typeof store.run !== 'function')
    throw new TypeError('sqsBatchHandler(): `store` must be an Idempotency instance.');
  if (typeof handler !== 'function')
    throw new TypeError('sqsBatchHandler(): `handler` must be a function (record, tx, context).');
  if (typeof key !== 'function') throw new TypeError('sqsBatchHandler(): `key` must be a function (record) => string.');
  if (fingerprint !== undefined && typeof fingerprint !== 'function') {
    throw new TypeError('sqsBatchHandler(): `fingerprint` must be a function (record) => payload, or left out.');
  }
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new TypeError(`sqsBatchHandler(): \`concurrency\` must be a whole number >= 1 (got ${concurrency}).`);
  }

  return async (event, context) => {
    if (!Array.isArray(event?.Records))
      throw new TypeError('sqsBatchHandler: the event has no Records array; is this function triggered by SQS?');
    const failed = new Set<string>();
    await forEachLimited(event.Records, concurrency, async (record) => {
      try {
        await store.run({ key: key(record), fingerprint: fingerprint?.(record) }, (tx) => handler(record, tx, context));
      } catch {
        failed.add(record.messageId);
      }
    });
    const batchItemFailures: SQSBatchItemFailure[] = event.Records.filter((record) => failed.has(record.messageId)).map(
      (record) => ({ itemIdentifier: record.messageId }),
    );
    return { batchItemFailures };
  };
}

async function forEachLimited<T>(items: T[], limit: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await each(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
