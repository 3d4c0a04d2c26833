import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { PermanentError } from '../shared/errors.js';
import { type StreamBatchHandlerOptions, type StreamRecordOutcome, streamBatchHandler } from './stream-batch.js';

/**
 * Options of `kinesisBatchHandler(options)`: those of `sqsBatchHandler` that make sense for a
 * shard.
 *
 * @example
 * ```ts
 * import { type KinesisBatchHandlerOptions, kinesisBatchHandler } from 'txonce';
 * import { store } from './store.js';
 *
 * const options: KinesisBatchHandlerOptions<void> = {
 *   store,
 *   handler: (record, tx) => {
 *     tx.put({ TableName: 'events', Item: { pk: record.kinesis.sequenceNumber } });
 *   },
 *   timeMarginMs: 2000,
 * };
 * export const handler = kinesisBatchHandler(options);
 * ```
 */
export type KinesisBatchHandlerOptions<R, P = undefined> = StreamBatchHandlerOptions<KinesisStreamRecord, R, P>;
/**
 * What happened to one Kinesis record, as `onOutcome` hears it.
 *
 * @example
 * ```ts
 * import { type KinesisRecordOutcome, kinesisBatchHandler } from 'txonce';
 * import { store } from './store.js';
 *
 * const onOutcome = (outcome: KinesisRecordOutcome<void>) => {
 *   if (outcome.status === 'failed') console.warn(outcome.reason, outcome.record.kinesis.sequenceNumber);
 * };
 * export const handler = kinesisBatchHandler({ store, handler: () => {}, onOutcome });
 * ```
 */
export type KinesisRecordOutcome<R> = StreamRecordOutcome<KinesisStreamRecord, R>;

/**
 * A Lambda handler for Kinesis Data Streams: the records of the shard run in order, each in its
 * own transaction; the first failure is the batch item failure (its sequence number), so the
 * shard resumes there and nothing after it runs. Needs `ReportBatchItemFailures` on the event
 * source mapping (`StreamConsumer` in `txonce/cdk` sets it, with bisect and an on-failure destination).
 *
 * @example
 * ```ts
 * import { kinesisBatchHandler, kinesisJson } from 'txonce';
 * import { store } from './store.js';
 *
 * export const handler = kinesisBatchHandler({
 *   store,
 *   key: (record) => kinesisJson<{ id: string }>(record).id, // the producer's id, not the sequence number
 *   handler: (record, tx) => {
 *     const deposit = kinesisJson<{ id: string; account: string; amount: number }>(record);
 *     tx.update({
 *       TableName: 'accounts',
 *       Key: { pk: deposit.account },
 *       UpdateExpression: 'ADD balance :a',
 *       ExpressionAttributeValues: { ':a': deposit.amount },
 *     });
 *   },
 * });
 * ```
 */
export function kinesisBatchHandler<R, P = undefined>(
  options: KinesisBatchHandlerOptions<R, P>,
): (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse> {
  return streamBatchHandler<KinesisStreamRecord, R, P>(
    {
      owner: 'kinesisBatchHandler',
      trigger: 'is this function triggered by a Kinesis stream?',
      sequenceNumber: (record) => record.kinesis?.sequenceNumber,
      defaultKey: defaultKinesisKey,
      defaultPayload: kinesisJson,
    },
    options,
  );
}

/**
 * The default key: the eventID ("shardId-…:sequenceNumber"), which names the record in its
 * stream. A producer that retries a PutRecord writes a new record: key on an id in the data to catch that.
 *
 * @example
 * ```ts
 * import { defaultKinesisKey, kinesisBatchHandler, kinesisJson } from 'txonce';
 * import { store } from './store.js';
 *
 * export const handler = kinesisBatchHandler({
 *   store,
 *   key: (record) => kinesisJson<{ id?: string }>(record).id ?? defaultKinesisKey(record),
 *   handler: () => {},
 * });
 * ```
 */
export function defaultKinesisKey(record: KinesisStreamRecord): string | undefined {
  return record.eventID || record.kinesis?.sequenceNumber;
}

/**
 * The record's data (base64, as Lambda delivers it) parsed as JSON; not JSON: a PermanentError.
 *
 * @example
 * ```ts
 * import type { KinesisStreamRecord } from 'aws-lambda';
 * import { kinesisJson } from 'txonce';
 *
 * export const accountOf = (record: KinesisStreamRecord) => kinesisJson<{ account: string }>(record).account;
 * ```
 */
export function kinesisJson<T = unknown>(record: KinesisStreamRecord): T {
  const text = Buffer.from(record.kinesis.data, 'base64').toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new PermanentError(
      `Kinesis record ${record.kinesis.sequenceNumber} has data that is not valid JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
