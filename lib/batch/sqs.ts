import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { IdempotencyError } from '../shared/errors.js';
import { type OptionChecks, type OptionNames, optionChecks } from '../shared/options.js';
import type { StandardSchemaV1 } from '../shared/schema.js';
import type { Idempotency, PrecheckedBatch } from '../store/idempotency.js';
import type { StoredResult } from '../store/run-outcome.js';
import type { Tx } from '../store/staged-writes.js';
import { DEAD_LETTER_OPTIONS, type DeadLetterOptions, sendToDeadLetter } from './dead-letter.js';
import { type BatchRecordSettings, resolveBatchRecordOptions } from './record-options.js';
import { precheckRecords, runRecord } from './record-run.js';
import { byMessageGroup, defaultSqsKey, isFifoRecord } from './sqs-messages.js';
import { callOutcomeHook, timeBudget } from './time-budget.js';

/**
 * Why a record was reported back to SQS for redelivery.
 *
 * @example
 * ```ts
 * import type { FailureReason } from 'txonce';
 *
 * export const retriedSoon: FailureReason[] = ['time-budget', 'earlier-in-group-failed'];
 * ```
 */
export type FailureReason =
  /** the handler or the commit failed (retryable, or no DLQ to send a permanent failure to) */
  | 'error'
  /** not started: the Lambda was too close to its timeout */
  | 'time-budget'
  /** not started: an earlier record of its FIFO message group failed, and order must hold */
  | 'earlier-in-group-failed'
  /** a permanent failure whose send to the DLQ failed too: SQS keeps the record */
  | 'dead-letter-send-failed';

/**
 * What happened to one record; every record of a batch gets exactly one.
 *
 * @example
 * ```ts
 * import { type RecordOutcome, sqsBatchHandler } from 'txonce';
 * import { store } from './store.js';
 *
 * function log(outcome: RecordOutcome<void>) {
 *   const reason = outcome.status === 'failed' ? outcome.reason : undefined;
 *   console.log(JSON.stringify({ id: outcome.record.messageId, key: outcome.key, status: outcome.status, reason }));
 * }
 *
 * export const handler = sqsBatchHandler({ store, handler: () => {}, onOutcome: log });
 * ```
 */
export type RecordOutcome<R> =
  | { status: 'committed'; record: SQSRecord; key: string; result: R }
  | ({ status: 'duplicate'; record: SQSRecord; key: string; firstSeenAt: string } & StoredResult<R>)
  | { status: 'dead-lettered'; record: SQSRecord; key: string | undefined; error: unknown }
  | { status: 'failed'; record: SQSRecord; key: string | undefined; error: unknown; reason: FailureReason };

/**
 * Options of `sqsBatchHandler(options)`: the store, the per-record handler, how to key and
 * fingerprint a record, a schema, the DLQ fast path, concurrency, the time margin and the outcome
 * hook.
 *
 * @example
 * ```ts
 * import { type SqsBatchHandlerOptions, sqsBatchHandler } from 'txonce';
 * import { store } from './store.js';
 *
 * const options: SqsBatchHandlerOptions<void> = {
 *   store,
 *   handler: (record, tx) => {
 *     tx.put({ TableName: 'events', Item: { pk: record.messageId, body: record.body } });
 *   },
 *   key: (record) => record.messageAttributes.eventId?.stringValue, // default: idempotencyKey, else messageId
 *   concurrency: 5,
 * };
 * export const handler = sqsBatchHandler(options);
 * ```
 */
export interface SqsBatchHandlerOptions<R, P = undefined> {
  store: Idempotency;
  /**
   * Runs once per record, in that record's own transaction. Stage business writes on `tx`.
   * With a `schema`, `payload` is the body as the schema parsed it; without one, undefined.
   */
  handler: (record: SQSRecord, tx: Tx, context: Context, payload: P) => Promise<R> | R;
  /**
   * A Standard Schema (zod, valibot, arktype...) the body must match before the handler runs.
   * A body that does not (or is not JSON) is a permanent failure: a SchemaValidationError, sent
   * to `deadLetter` with the issues in the `validationIssues` of its reason (`readDeadLetterReason`).
   */
  schema?: StandardSchemaV1<unknown, P>;
  /** What the schema validates. Default: the body parsed as JSON. */
  payload?: (record: SQSRecord) => unknown;
  /** The record's idempotency key. Default: the `idempotencyKey` string attribute, else the messageId. */
  key?: (record: SQSRecord) => unknown;
  /** What must match on a repeat of the key (e.g. the body). Default: not compared. */
  fingerprint?: (record: SQSRecord) => unknown;
  /** Records (standard queue) or message groups (FIFO) processed at once. Default 10. */
  concurrency?: number;
  /** Where records that can never succeed go at once, instead of burning maxReceiveCount retries. */
  deadLetter?: DeadLetterOptions;
  /**
   * Records not started once the Lambda has less than this left are reported for redelivery.
   * Default: 5000, or a fifth of the time left when the batch starts if that is less. A margin
   * at least as large as the time left at the start is refused with a RangeError.
   */
  timeMarginMs?: number;
  /**
   * Called with each record's outcome as it is decided (log it, count it). If it throws, the
   * error goes to console.error and the batch goes on: the record's fate stands (a record in
   * the DLQ is not redelivered to reach it twice).
   */
  onOutcome?: (outcome: RecordOutcome<R>, context: Context) => void | Promise<void>;
}

/**
 * A Lambda handler for SQS events: each record runs in its own transaction, and the response
 * names only the records that must come back (`ReportBatchItemFailures` must be on).
 * Standard queues run records concurrently; FIFO queues run each message group in order and
 * stop a group at its first failure. Duplicates count as done; records that can never succeed
 * go to `deadLetter` when one is given.
 *
 * @example
 * ```ts
 * import { SQSClient } from '@aws-sdk/client-sqs';
 * import { jsonBody, PermanentError, sqsBatchHandler } from 'txonce';
 * import { store } from './store.js';
 *
 * export const handler = sqsBatchHandler({
 *   store,
 *   handler: async (record, tx) => {
 *     const paid = jsonBody<{ customer: string; amount: number }>(record);
 *     if (paid.amount <= 0) throw new PermanentError('amount must be positive');
 *     tx.update({
 *       TableName: 'customers',
 *       Key: { pk: paid.customer },
 *       UpdateExpression: 'ADD paidTotal :a',
 *       ExpressionAttributeValues: { ':a': paid.amount },
 *     });
 *   },
 *   deadLetter: { client: new SQSClient({}), queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq' },
 * });
 * ```
 */
export function sqsBatchHandler<R, P = undefined>(
  options: SqsBatchHandlerOptions<R, P>,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const settings = resolveOptions(options);

  return async (event, context) => {
    if (!Array.isArray(event?.Records)) {
      throw new TypeError('sqsBatchHandler: the event has no Records array; is this function triggered by SQS?');
    }
    const outcomes = new Map<SQSRecord, RecordOutcome<R>>();
    const settle = async (outcome: RecordOutcome<R>) => {
      outcomes.set(outcome.record, outcome);
      // The record's fate is decided (committed, or already in the DLQ): failing the invocation
      // would redeliver it, and a standard DLQ would get it twice. Report the hook, not the record.
      await callOutcomeHook(
        'sqsBatchHandler',
        settings.onOutcome,
        outcome,
        context,
        `message ${outcome.record.messageId}`,
      );
    };
    const outOfTime = timeBudget('sqsBatchHandler', context, settings.timeMarginMs);
    const prechecked = await precheckRecords(settings, event.Records);
    const skipped = (record: SQSRecord, reason: FailureReason): RecordOutcome<R> => ({
      status: 'failed',
      record,
      key: undefined,
      error: undefined,
      reason,
    });

    if (event.Records.length > 0 && isFifoRecord(event.Records[0])) {
      await forEachLimited(byMessageGroup(event.Records), settings.concurrency, async (group) => {
        let blocked: FailureReason | undefined;
        for (const record of group) {
          if (!blocked && outOfTime()) blocked = 'time-budget';
          const outcome = blocked
            ? skipped(record, blocked)
            : await processRecord(settings, record, context, prechecked);
          // A dead-lettered record has left the queue, as SQS's own redrive would do: the group goes on.
          if (!blocked && outcome.status === 'failed') blocked = 'earlier-in-group-failed';
          await settle(outcome);
        }
      });
    } else {
      await forEachLimited(event.Records, settings.concurrency, async (record) => {
        await settle(
          outOfTime() ? skipped(record, 'time-budget') : await processRecord(settings, record, context, prechecked),
        );
      });
    }

    return {
      batchItemFailures: event.Records.filter((record) => outcomes.get(record)?.status === 'failed').map((record) => ({
        itemIdentifier: record.messageId,
      })),
    };
  };
}

type Settings<R, P> = BatchRecordSettings<SQSRecord, R, P, RecordOutcome<R>> &
  Required<Pick<SqsBatchHandlerOptions<R, P>, 'concurrency'>> &
  Pick<SqsBatchHandlerOptions<R, P>, 'deadLetter'>;

async function processRecord<R, P>(
  settings: Settings<R, P>,
  record: SQSRecord,
  context: Context,
  prechecked: PrecheckedBatch | undefined,
): Promise<RecordOutcome<R>> {
  const run = await runRecord(settings, record, context, prechecked);
  if ('outcome' in run) return { ...run.outcome, record, key: run.key };
  const { error, key } = run;
  if (!isPermanent(error) || !settings.deadLetter) return { status: 'failed', record, key, error, reason: 'error' };
  try {
    await sendToDeadLetter(settings.deadLetter, record, key, error);
    return { status: 'dead-lettered', record, key, error };
  } catch (sendError) {
    return {
      status: 'failed',
      record,
      key,
      error: new AggregateError([error, sendError], 'Could not send a permanently failing record to the DLQ'),
      reason: 'dead-letter-send-failed',
    };
  }
}

/** Only txonce's own verdicts (and PermanentError) say "never": anything else may be transient. */
function isPermanent(error: unknown): boolean {
  return error instanceof IdempotencyError && !error.retryable;
}

function resolveOptions<R, P>(options: SqsBatchHandlerOptions<R, P>): Settings<R, P> {
  const check: OptionChecks = optionChecks('sqsBatchHandler()');
  check.knownNames(options, SQS_BATCH_OPTIONS);
  check.knownNames(options?.deadLetter, DEAD_LETTER_OPTIONS, 'deadLetter');
  const settings = resolveBatchRecordOptions(check, options, { key: defaultSqsKey, payload: bodyAsJson });
  const { concurrency = 10, deadLetter } = options ?? {};
  check.wholeNumber('concurrency', concurrency, 1);
  if (deadLetter !== undefined) {
    if (typeof deadLetter?.client?.send !== 'function') {
      check.fail('`deadLetter.client` must be an SQSClient (@aws-sdk/client-sqs).');
    }
    const queueUrl: unknown = deadLetter.queueUrl;
    if (typeof queueUrl !== 'string' || !/^https?:\/\//.test(queueUrl)) {
      // a URL object would print as its text, and read as if the string had been refused
      const got = queueUrl instanceof URL ? 'a URL object; pass its .href' : JSON.stringify(queueUrl);
      check.fail(`\`deadLetter.queueUrl\` must be the DLQ's URL (got ${got}).`);
    }
  }
  return { ...settings, concurrency, deadLetter };
}

function bodyAsJson(record: SQSRecord): unknown {
  return JSON.parse(record.body);
}

async function forEachLimited<T>(items: T[], limit: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await each(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

// The names these options take, checked at runtime by `knownNames` (JavaScript callers have no
// compiler); typed OptionNames<…>, so a name added to or dropped from the type fails to compile here.

const SQS_BATCH_OPTIONS: OptionNames<SqsBatchHandlerOptions<unknown, unknown>> = {
  store: true,
  handler: true,
  schema: true,
  payload: true,
  key: true,
  fingerprint: true,
  concurrency: true,
  deadLetter: true,
  timeMarginMs: true,
  onOutcome: true,
};
