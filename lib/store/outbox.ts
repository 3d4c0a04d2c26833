import { createHash } from 'node:crypto';
import { type OptionNames, optionChecks } from '../shared/options.js';

/**
 * Where an emitted message goes. The publisher delivers it at least once, always with the same id.
 *
 * @example
 * ```ts
 * import type { Destination } from 'txonce';
 *
 * export const destinations: Destination[] = [
 *   { kind: 'webhook', url: 'https://partner.example/hooks' },
 *   { kind: 'sqs', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts' },
 *   { kind: 'sns', topicArn: 'arn:aws:sns:eu-west-1:123456789012:receipts' },
 *   { kind: 'eventbridge', busName: 'default', source: 'billing' },
 * ];
 * ```
 */
export type Destination =
  | { kind: 'eventbridge'; busName: string; source?: string }
  | { kind: 'sns'; topicArn: string }
  | { kind: 'sqs'; queueUrl: string }
  /** an HTTPS endpoint, signed as a Standard Webhooks sender (webhook-id = the message id) */
  | { kind: 'webhook'; url: string };

/**
 * A message staged with `tx.emit`: where it goes, its type and its JSON data.
 *
 * @example
 * ```ts
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
 * import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
 * import { Idempotency, type OutboxMessage } from 'txonce';
 *
 * const store = new Idempotency({
 *   client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
 *   tableName: 'dedup',
 *   outboxTable: 'outbox',
 * });
 *
 * export const pay = (event: { id: string; invoice: string }) =>
 *   store.run({ key: event.id }, (tx) => {
 *     const receipt: OutboxMessage = {
 *       destination: { kind: 'webhook', url: 'https://partner.example/receipts' },
 *       type: 'receipt.requested',
 *       payload: { invoice: event.invoice },
 *     };
 *     return tx.emit(receipt); // the message id
 *   });
 * ```
 */
export interface OutboxMessage {
  destination: Destination;
  /** the message's type, e.g. "receipt.requested" (EventBridge detail-type, webhook "type") */
  type?: string;
  /** JSON data */
  payload: unknown;
}

/**
 * The outbox item as the publisher reads it from the stream.
 *
 * @example
 * ```ts
 * import type { OutboxItem } from 'txonce';
 *
 * // what `txonce outbox list` shows of an item
 * export const summary = (item: OutboxItem) => `${item.messageId} ${item.status} after ${item.attempts} attempts`;
 * ```
 */
export interface OutboxItem {
  pk: string;
  messageId: string;
  sourceKey: string;
  position: number;
  destination: Destination;
  type: string;
  /** the payload as JSON text */
  payload: string;
  createdAt: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
}

/** The address each kind of destination is delivered to: a message without it could never leave. */
const ADDRESS_FIELD = { eventbridge: 'busName', sns: 'topicArn', sqs: 'queueUrl', webhook: 'url' } as const;

/**
 * A stable id for the message at `position` among those a delivery emits: the same event
 * emits the same ids however often it runs, so receivers can deduplicate on them.
 *
 * @example
 * ```ts
 * import { outboxMessageId } from 'txonce';
 * import { store } from './store.js';
 *
 * // the id of the first message the delivery of evt_1 emits: the same for every delivery of evt_1
 * export const firstReceiptId = outboxMessageId(store.recordKey('evt_1'), 0);
 * ```
 */
export function outboxMessageId(recordKey: string, position: number): string {
  return `msg_${createHash('sha256').update(`${recordKey}#${position}`).digest('hex').slice(0, 32)}`;
}

export function outboxItem(recordKey: string, position: number, message: OutboxMessage): OutboxItem {
  const { destination } = message ?? ({} as OutboxMessage);
  if (!destination || !Object.hasOwn(ADDRESS_FIELD, destination.kind)) {
    throw new TypeError(`tx.emit(): destination.kind must be one of ${Object.keys(ADDRESS_FIELD).join(', ')}.`);
  }
  // checked here, inside the transaction, so a typo (`queueURL`) fails the delivery instead of
  // committing a message the publisher can only dead-letter
  const field = ADDRESS_FIELD[destination.kind];
  const address = (destination as Record<string, unknown>)[field];
  if (typeof address !== 'string' || address.length === 0) {
    throw new TypeError(`tx.emit(): a ${destination.kind} destination needs its ${field} (a non-empty string).`);
  }
  const check = optionChecks('tx.emit()');
  check.knownNames(message, OUTBOX_MESSAGE);
  check.knownNames(destination, DESTINATION_OPTIONS[destination.kind], 'destination');
  let payload: string | undefined;
  try {
    payload = JSON.stringify(message.payload);
  } catch (error) {
    throw new TypeError(`tx.emit(): the payload is not JSON data (${(error as Error).message}).`);
  }
  if (payload === undefined) throw new TypeError('tx.emit(): the payload is required.');
  const messageId = outboxMessageId(recordKey, position);
  return {
    pk: messageId,
    messageId,
    sourceKey: recordKey,
    position,
    destination,
    type: message.type ?? 'txonce.message',
    payload,
    createdAt: new Date().toISOString(),
    status: 'pending',
    attempts: 0,
  };
}

// The names these options take, checked at runtime by `knownNames` (JavaScript callers have no
// compiler); typed OptionNames<…>, so a name added to or dropped from the type fails to compile here.

const OUTBOX_MESSAGE: OptionNames<OutboxMessage> = { destination: true, type: true, payload: true };

/** A destination's names by kind: `kind`, its address, and what else that kind takes. */
const DESTINATION_OPTIONS: { [K in Destination['kind']]: OptionNames<Extract<Destination, { kind: K }>> } = {
  eventbridge: { kind: true, busName: true, source: true },
  sns: { kind: true, topicArn: true },
  sqs: { kind: true, queueUrl: true },
  webhook: { kind: true, url: true },
};
