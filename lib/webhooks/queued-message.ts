import { createHash } from 'node:crypto';
import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { EVENT_ATTRIBUTES } from '../contracts/sqs-attributes.js';

/** What the queue carries for one accepted webhook; the ingest and `txonce replay` send the same. */
export interface WebhookMessage {
  source: string;
  scheme: string;
  key: string;
  /** the verified body, exactly as signed */
  body: string;
  /** set for form-encoded bodies (application/x-www-form-urlencoded); JSON otherwise */
  contentType?: string;
  receivedAt: string;
  /** GitHub: the unsigned delivery id, for tracing only (the key is the body's digest) */
  deliveryId?: string;
  /** used when the queue is FIFO */
  messageGroupId: string;
}

/**
 * The SendMessage of one webhook: the body and the attributes the consumer reads (the key, the
 * source, the scheme, when it was received). FIFO: the entity's message group, and a
 * deduplication id from the key, so SQS drops a resend of the same key for 5 minutes.
 */
export function webhookMessageInput(queueUrl: string, message: WebhookMessage): SendMessageCommandInput {
  const fifo = queueUrl.endsWith('.fifo');
  return {
    QueueUrl: queueUrl,
    MessageBody: message.body,
    MessageAttributes: {
      [EVENT_ATTRIBUTES.key]: attribute(message.key),
      [EVENT_ATTRIBUTES.source]: attribute(message.source),
      [EVENT_ATTRIBUTES.scheme]: attribute(message.scheme),
      ...(message.contentType ? { [EVENT_ATTRIBUTES.contentType]: attribute(message.contentType) } : {}),
      [EVENT_ATTRIBUTES.receivedAt]: attribute(message.receivedAt),
      ...(message.deliveryId ? { [EVENT_ATTRIBUTES.deliveryId]: attribute(message.deliveryId) } : {}),
    },
    MessageGroupId: fifo ? message.messageGroupId : undefined,
    MessageDeduplicationId: fifo ? createHash('sha256').update(message.key).digest('hex') : undefined,
  };
}

function attribute(value: string) {
  return { DataType: 'String', StringValue: value };
}
