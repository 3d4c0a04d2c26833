import type { AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type StreamBatchHandlerOptions, type StreamRecordOutcome, streamBatchHandler } from './stream-batch.js';

/**
 * Options of `dynamodbStreamBatchHandler(options)`: those of `sqsBatchHandler` that make sense
 * for a shard.
 *
 * @example
 * ```ts
 * import { type DynamoDBStreamBatchHandlerOptions, dynamodbStreamBatchHandler } from 'txonce';
 * import { store } from './store.js';
 *
 * const options: DynamoDBStreamBatchHandlerOptions<void> = {
 *   store,
 *   handler: (record, tx) => {
 *     tx.put({ TableName: 'audit', Item: { pk: record.eventID ?? 'unknown' } });
 *   },
 * };
 * export const handler = dynamodbStreamBatchHandler(options);
 * ```
 */
export type DynamoDBStreamBatchHandlerOptions<R, P = undefined> = StreamBatchHandlerOptions<DynamoDBRecord, R, P>;
/**
 * What happened to one DynamoDB Streams record, as `onOutcome` hears it.
 *
 * @example
 * ```ts
 * import { type DynamoDBStreamRecordOutcome, dynamodbStreamBatchHandler } from 'txonce';
 * import { store } from './store.js';
 *
 * const onOutcome = (outcome: DynamoDBStreamRecordOutcome<void>) => {
 *   if (outcome.status === 'failed') console.warn(outcome.reason, outcome.record.eventID);
 * };
 * export const handler = dynamodbStreamBatchHandler({ store, handler: () => {}, onOutcome });
 * ```
 */
export type DynamoDBStreamRecordOutcome<R> = StreamRecordOutcome<DynamoDBRecord, R>;

/**
 * A Lambda handler for DynamoDB Streams: the records of the shard run in order, each in its own
 * transaction; the first failure is the batch item failure (its SequenceNumber), so the shard
 * resumes there and nothing after it runs. Needs `ReportBatchItemFailures` on the event source
 * mapping (`StreamConsumer` in `txonce/cdk` sets it, with bisect and an on-failure destination).
 *
 * @example
 * ```ts
 * import { dynamodbStreamBatchHandler, streamImage } from 'txonce';
 * import { store } from './store.js';
 *
 * export const handler = dynamodbStreamBatchHandler({
 *   store,
 *   handler: (record, tx) => {
 *     if (record.eventName !== 'INSERT') return;
 *     const order = streamImage<{ pk: string; total: number }>(record, 'NewImage');
 *     if (order) tx.put({ TableName: 'audit', Item: { pk: `order#${order.pk}`, total: order.total } });
 *   },
 * });
 * ```
 */
export function dynamodbStreamBatchHandler<R, P = undefined>(
  options: DynamoDBStreamBatchHandlerOptions<R, P>,
): (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse> {
  return streamBatchHandler<DynamoDBRecord, R, P>(
    {
      owner: 'dynamodbStreamBatchHandler',
      trigger: 'is this function triggered by a DynamoDB stream?',
      sequenceNumber: (record) => record.dynamodb?.SequenceNumber,
      defaultKey: defaultDynamoDBStreamKey,
      defaultPayload: (record) => streamImage(record, 'NewImage'),
    },
    options,
  );
}

/**
 * The default key: the eventID, unique per stream record (else its SequenceNumber).
 *
 * @example
 * ```ts
 * import { defaultDynamoDBStreamKey, dynamodbStreamBatchHandler, streamImage } from 'txonce';
 * import { store } from './store.js';
 *
 * export const handler = dynamodbStreamBatchHandler({
 *   store,
 *   key: (record) => streamImage<{ eventId?: string }>(record, 'NewImage')?.eventId ?? defaultDynamoDBStreamKey(record),
 *   handler: () => {},
 * });
 * ```
 */
export function defaultDynamoDBStreamKey(record: DynamoDBRecord): string | undefined {
  return record.eventID || record.dynamodb?.SequenceNumber;
}

/**
 * The record's NewImage (or OldImage, or Keys) as a plain object; undefined if the stream view omits it.
 *
 * @example
 * ```ts
 * import type { DynamoDBRecord } from 'aws-lambda';
 * import { streamImage } from 'txonce';
 *
 * export const totalOf = (record: DynamoDBRecord) => streamImage<{ total: number }>(record, 'NewImage')?.total;
 * ```
 */
export function streamImage<T = Record<string, unknown>>(
  record: DynamoDBRecord,
  which: 'NewImage' | 'OldImage' | 'Keys' = 'NewImage',
): T | undefined {
  const image = record.dynamodb?.[which];
  // Lambda's JSON is DynamoDB's wire format: the SDK's AttributeValue in all but its type's name.
  return image ? (unmarshall(image as Record<string, SdkAttributeValue>) as T) : undefined;
}
