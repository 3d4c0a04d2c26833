import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { EVENT_ATTRIBUTES } from '../contracts/sqs-attributes.js';

/**
 * A Lambda handler for SQS events, as `sqsBatchHandler` returns.
 *
 * @example
 * ```ts
 * import { type SqsBatchHandler, sqsBatchHandler } from 'txonce';
 * import { store } from './store.js';
 *
 * export const handler: SqsBatchHandler = sqsBatchHandler({ store, handler: () => {} });
 * ```
 */
export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * One consumer for a pipeline's several sources: each record goes to the handler of the source
 * its `source` message attribute names (the ingest sets it), so each source's records run under
 * that source's store and keep their own namespace. A FIFO message group belongs to one source,
 * so its order is kept. A record naming no source of `handlers` is reported for redelivery (and,
 * after maxReceiveCount, reaches the DLQ) with an error logged: a pipeline whose consumer does
 * not serve all its sources is misconfigured, and its records must not be lost.
 *
 * @example
 * ```ts
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
 * import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
 * import { Idempotency, sqsBatchHandler, sqsBatchHandlerPerSource } from 'txonce';
 *
 * const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
 * const perSource = (source: string) =>
 *   sqsBatchHandler({
 *     store: new Idempotency({ client, tableName: process.env.DEDUP_TABLE ?? 'dedup', source }),
 *     handler: (record, tx) => {
 *       tx.put({ TableName: 'events', Item: { pk: `${source}#${record.messageId}`, body: record.body } });
 *     },
 *   });
 * // the pipeline's sources, as WebhookPipeline sets them on its consumer (IDEMPOTENCY_SOURCES)
 * const sources = (process.env.IDEMPOTENCY_SOURCES ?? 'stripe,github').split(',');
 * export const handler = sqsBatchHandlerPerSource(Object.fromEntries(sources.map((s) => [s, perSource(s)])));
 * ```
 */
export function sqsBatchHandlerPerSource(handlers: Record<string, SqsBatchHandler>): SqsBatchHandler {
  const names = Object.keys(handlers ?? {});
  if (names.length === 0) throw new TypeError('sqsBatchHandlerPerSource: give a handler per source, none was given.');
  for (const name of names) {
    if (typeof handlers[name] !== 'function')
      throw new TypeError(
        `sqsBatchHandlerPerSource: the handler of "${name}" must be a function (sqsBatchHandler(...)).`,
      );
  }
  return async (event, context) => {
    const bySource = new Map<string, SQSRecord[]>();
    const unserved: SQSRecord[] = [];
    for (const record of event?.Records ?? []) {
      const source = record.messageAttributes?.[EVENT_ATTRIBUTES.source]?.stringValue;
      if (source === undefined || !Object.hasOwn(handlers, source)) unserved.push(record);
      else {
        const records = bySource.get(source) ?? [];
        records.push(record);
        bySource.set(source, records);
      }
    }
    if (unserved.length > 0) {
      const named = [
        ...new Set(unserved.map((r) => r.messageAttributes?.[EVENT_ATTRIBUTES.source]?.stringValue ?? 'none')),
      ];
      console.error(
        `txonce: ${unserved.length} records name no source this consumer serves (${named.join(', ')}); it serves ` +
          `${names.join(', ')}. They are retried and then dead-lettered: give the consumer a handler for each of the pipeline's sources.`,
      );
    }
    const responses = await Promise.all(
      [...bySource].map(([source, records]) => handlers[source]({ ...event, Records: records }, context)),
    );
    return {
      batchItemFailures: [
        ...responses.flatMap((response) => response?.batchItemFailures ?? []),
        ...unserved.map((record) => ({ itemIdentifier: record.messageId })),
      ],
    };
  };
}
