import { createHash } from 'node:crypto';

/** Where an emitted message goes. The publisher delivers it at least once, always with the same id. */
export type Destination =
  | { kind: 'eventbridge'; busName: string; source?: string }
  | { kind: 'sns'; topicArn: string }
  | { kind: 'sqs'; queueUrl: string }
  /** an HTTPS endpoint, signed as a Standard Webhooks sender (webhook-id = the message id) */
  | { kind: 'webhook'; url: string };

export interface OutboxMessage {
  destination: Destination;
  /** the message's type, e.g. "receipt.requested" (EventBridge detail-type, webhook "type") */
  type?: string;
  /** JSON data */
  payload: unknown;
}

/** The outbox item as the publisher reads it from the stream. */
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

const KINDS = ['eventbridge', 'sns', 'sqs', 'webhook'];

/**
 * A stable id for the message at `position` among those a delivery emits: the same event
 * emits the same ids however often it runs, so receivers can deduplicate on them.
 */
export function outboxMessageId(recordKey: string, position: number): string {
  return `msg_${createHash('sha256').update(`${recordKey}#${position}`).digest('hex').slice(0, 32)}`;
}

export function outboxItem(recordKey: string, position: number, message: OutboxMessage): OutboxItem {
  const { destination } = message ?? ({} as OutboxMessage);
  if (!destination || !KINDS.includes(destination.kind)) {
    throw new TypeError(`tx.emit(): destination.kind must be one of ${KINDS.join(', ')}.`);
  }
  const target = Object.entries(destination).find(([name]) => name !== 'kind' && name !== 'source')?.[1];
  if (typeof target !== 'string' || target.length === 0) {
    throw new TypeError(
      `tx.emit(): a ${destination.kind} destination needs its ${Object.keys(destination).filter((name) => name !== 'kind')[0] ?? 'address'}.`,
    );
  }
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
