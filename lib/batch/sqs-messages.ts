import type { SQSRecord } from 'aws-lambda';
import { EVENT_ATTRIBUTES } from '../contracts/sqs-attributes.js';
import { MissingIdempotencyKeyError, PermanentError } from '../shared/errors.js';

/**
 * The default key. A key set by the producer (the webhook id, the event id) names the event
 * itself, so the same event sent twice is caught; the messageId names one SQS message, and a
 * producer that retries a send creates a new message with a new id.
 *
 * @example
 * ```ts
 * import { defaultSqsKey, sqsBatchHandler } from 'txonce';
 * import { store } from './store.js';
 *
 * export const handler = sqsBatchHandler({
 *   store,
 *   // a producer's event id when the body has one, else the default (idempotencyKey attribute, else messageId)
 *   key: (record) => (JSON.parse(record.body) as { eventId?: string }).eventId ?? defaultSqsKey(record),
 *   handler: () => {},
 * });
 * ```
 */
export function defaultSqsKey(record: SQSRecord): string {
  const attribute = record.messageAttributes?.[EVENT_ATTRIBUTES.key];
  if (attribute === undefined) return record.messageId;
  if (typeof attribute.stringValue !== 'string' || attribute.stringValue.length === 0) {
    throw new MissingIdempotencyKeyError(
      `message ${record.messageId} has an ${EVENT_ATTRIBUTES.key} attribute without a string value`,
    );
  }
  return attribute.stringValue;
}

/**
 * The record's body parsed as JSON; a body that is not JSON is a PermanentError (a poison message).
 *
 * @example
 * ```ts
 * import { jsonBody, sqsBatchHandler } from 'txonce';
 * import { store } from './store.js';
 *
 * export const handler = sqsBatchHandler({
 *   store,
 *   handler: (record, tx) => {
 *     const event = jsonBody<{ id: string }>(record); // not JSON: a PermanentError (to the DLQ)
 *     tx.put({ TableName: 'events', Item: { pk: event.id } });
 *   },
 * });
 * ```
 */
export function jsonBody<T = unknown>(record: SQSRecord): T {
  try {
    return JSON.parse(record.body) as T;
  } catch (error) {
    throw new PermanentError(
      `Message ${record.messageId} has a body that is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** Lambda's event source mapping names FIFO queues by their ".fifo" suffix. */
export function isFifoRecord(record: SQSRecord): boolean {
  return record.eventSourceARN?.endsWith('.fifo') ?? false;
}

/** Records grouped by MessageGroupId, each group in delivery order. */
export function byMessageGroup(records: SQSRecord[]): SQSRecord[][] {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const group = record.attributes?.MessageGroupId ?? '';
    const members = groups.get(group);
    if (members) members.push(record);
    else groups.set(group, [record]);
  }
  return [...groups.values()];
}
