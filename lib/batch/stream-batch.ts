import type { Context } from 'aws-lambda';
import { type OptionChecks, type OptionNames, optionChecks } from '../shared/options.js';
import type { StandardSchemaV1 } from '../shared/schema.js';
import type { Idempotency, PrecheckedBatch } from '../store/idempotency.js';
import type { StoredResult } from '../store/run-outcome.js';
import type { Tx } from '../store/staged-writes.js';
import { type BatchRecordSettings, resolveBatchRecordOptions } from './record-options.js';
import { precheckRecords, runRecord } from './record-run.js';
import { callOutcomeHook, timeBudget } from './time-budget.js';

/**
 * Why a stream record was not done: the first one named is where the shard resumes.
 *
 * @example
 * ```ts
 * import type { StreamFailureReason } from 'txonce';
 *
 * // the checkpoint is the first record whose reason is 'error' or 'time-budget'
 * export const notStarted: StreamFailureReason[] = ['time-budget', 'earlier-in-shard-failed'];
 * ```
 */
export type StreamFailureReason =
  /** the handler, the schema or the commit failed: this record is the checkpoint */
  | 'error'
  /** not started: the Lambda was too close to its timeout */
  | 'time-budget'
  /** not started: an earlier record of the batch (the same shard) failed, and order must hold */
  | 'earlier-in-shard-failed';

/**
 * What happened to one stream record; every record of a batch gets exactly one.
 *
 * @example
 * ```ts
 * import type { KinesisStreamRecord } from 'aws-lambda';
 * import type { StreamRecordOutcome } from 'txonce';
 *
 * export function checkpointOf(outcomes: StreamRecordOutcome<KinesisStreamRecord, void>[]) {
 *   return outcomes.find((outcome) => outcome.status === 'failed')?.record.kinesis.sequenceNumber;
 * }
 * ```
 */
export type StreamRecordOutcome<Rec, R> =
  | { status: 'committed'; record: Rec; key: string; result: R }
  | ({ status: 'duplicate'; record: Rec; key: string; firstSeenAt: string } & StoredResult<R>)
  | { status: 'failed'; record: Rec; key: string | undefined; error: unknown; reason: StreamFailureReason };

export interface StreamBatchHandlerOptions<Rec, R, P> {
  store: Idempotency;
  /**
   * Runs once per record, in order, each in its own transaction. Stage business writes on `tx`.
   * With a `schema`, `payload` is the record's payload as the schema parsed it; without, undefined.
   */
  handler: (record: Rec, tx: Tx, context: Context, payload: P) => Promise<R> | R;
  /** The record's idempotency key. Default: its eventID (else its sequence number). */
  key?: (record: Rec) => unknown;
  /** What must match on a repeat of the key. Default: not compared. */
  fingerprint?: (record: Rec) => unknown;
  /**
   * A Standard Schema (zod, valibot, arktype...) the payload must match before the handler runs.
   * A record that does not is a SchemaValidationError: it fails (and stops the shard) without running.
   */
  schema?: StandardSchemaV1<unknown, P>;
  /** What the schema validates. Default: see the handler (Kinesis: the data as JSON; DynamoDB: the NewImage). */
  payload?: (record: Rec) => unknown;
  /**
   * No record starts once the Lambda has less than this left; the first one not started is the
   * checkpoint. Default: 5000, or a fifth of the time left when the batch starts if that is less.
   */
  timeMarginMs?: number;
  /** Called with each record's outcome, in order. If it throws, the error is logged and the batch goes on. */
  onOutcome?: (outcome: StreamRecordOutcome<Rec, R>, context: Context) => void | Promise<void>;
}

/** What sets one stream source apart from another. */
export interface StreamSource<Rec> {
  /** the factory's name, for errors and logs */
  owner: string;
  /** what the event is when it is not one of this source's ("is this function triggered by Kinesis?") */
  trigger: string;
  sequenceNumber: (record: Rec) => string | undefined;
  defaultKey: (record: Rec) => unknown;
  defaultPayload: (record: Rec) => unknown;
}

/**
 * What a stream batch handler answers Lambda: at most one batch item failure, the record where
 * the shard resumes.
 *
 * @example
 * ```ts
 * import type { KinesisStreamEvent } from 'aws-lambda';
 * import { kinesisBatchHandler, type StreamBatchResponse } from 'txonce';
 * import { store } from './store.js';
 *
 * const inner = kinesisBatchHandler({ store, handler: () => {} });
 * export async function handler(event: KinesisStreamEvent, context: import('aws-lambda').Context) {
 *   const response: StreamBatchResponse = await inner(event, context);
 *   return response; // at most one failure: the checkpoint
 * }
 * ```
 */
export interface StreamBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * The batch handler for ordered streams (Kinesis, DynamoDB Streams): records run one after the
 * other; the first that fails is reported as the only batch item failure, so Lambda checkpoints
 * before it and the shard resumes there, and nothing after it runs (it would run out of order).
 * Duplicates count as done, so a retried or bisected batch skips what it already committed.
 */
export function streamBatchHandler<Rec, R, P>(
  source: StreamSource<Rec>,
  options: StreamBatchHandlerOptions<Rec, R, P>,
): (event: { Records: Rec[] }, context: Context) => Promise<StreamBatchResponse> {
  const settings = resolveOptions(source, options);

  return async (event, context) => {
    if (!Array.isArray(event?.Records)) {
      throw new TypeError(`${source.owner}: the event has no Records array; ${source.trigger}`);
    }
    const outOfTime = timeBudget(source.owner, context, settings.timeMarginMs);
    const prechecked = await precheckRecords(settings, event.Records);
    let checkpoint: { itemIdentifier: string } | undefined;
    let blocked: StreamFailureReason | undefined;

    for (const record of event.Records) {
      let outcome: StreamRecordOutcome<Rec, R>;
      if (blocked) {
        outcome = skipped(record, blocked === 'time-budget' ? 'time-budget' : 'earlier-in-shard-failed');
      } else if (outOfTime()) {
        outcome = skipped(record, 'time-budget');
      } else {
        outcome = await processRecord(settings, record, context, prechecked);
      }
      if (!blocked && outcome.status === 'failed') {
        blocked = outcome.reason;
        const sequenceNumber = source.sequenceNumber(record);
        if (!sequenceNumber) {
          // Lambda reads a missing identifier as "the whole batch failed": say so plainly instead.
          throw new TypeError(`${source.owner}: a record that failed has no sequence number to checkpoint at`, {
            cause: outcome.error,
          });
        }
        checkpoint = { itemIdentifier: sequenceNumber };
      }
      await callOutcomeHook(source.owner, settings.onOutcome, outcome, context, `record ${describe(source, record)}`);
    }
    return { batchItemFailures: checkpoint ? [checkpoint] : [] };
  };
}

function skipped<Rec, R>(record: Rec, reason: StreamFailureReason): StreamRecordOutcome<Rec, R> {
  return { status: 'failed', record, key: undefined, error: undefined, reason };
}

function describe<Rec>(source: StreamSource<Rec>, record: Rec): string {
  return source.sequenceNumber(record) ?? '(no sequence number)';
}

type Settings<Rec, R, P> = BatchRecordSettings<Rec, R, P, StreamRecordOutcome<Rec, R>>;

async function processRecord<Rec, R, P>(
  settings: Settings<Rec, R, P>,
  record: Rec,
  context: Context,
  prechecked: PrecheckedBatch | undefined,
): Promise<StreamRecordOutcome<Rec, R>> {
  const run = await runRecord(settings, record, context, prechecked);
  if ('outcome' in run) return { ...run.outcome, record, key: run.key };
  return { status: 'failed', record, key: run.key, error: run.error, reason: 'error' };
}

function resolveOptions<Rec, R, P>(
  source: StreamSource<Rec>,
  options: StreamBatchHandlerOptions<Rec, R, P>,
): Settings<Rec, R, P> {
  const check: OptionChecks = optionChecks(`${source.owner}()`);
  check.knownNames(options, STREAM_BATCH_OPTIONS);
  return resolveBatchRecordOptions(check, options, { key: source.defaultKey, payload: source.defaultPayload });
}

// The names these options take, checked at runtime by `knownNames` (JavaScript callers have no
// compiler); typed OptionNames<…>, so a name added to or dropped from the type fails to compile here.

const STREAM_BATCH_OPTIONS: OptionNames<StreamBatchHandlerOptions<unknown, unknown, unknown>> = {
  store: true,
  handler: true,
  key: true,
  fingerprint: true,
  schema: true,
  payload: true,
  timeMarginMs: true,
  onOutcome: true,
};
