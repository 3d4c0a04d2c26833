import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { EVENT_ATTRIBUTES } from '../../lib/contracts/sqs-attributes.js';
import type { Destination, OutboxItem } from '../../lib/index.js';

/** A delivery that cannot succeed by trying again (a 4xx, an invalid target): straight to the failure queue. */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

/** Clients are made on first use, so a publisher that never publishes to SNS never loads its SDK. */
export interface DeliveryTargets {
  eventBridge?: () => Promise<EventBridgeClient> | EventBridgeClient;
  sns?: () => Promise<SNSClient> | SNSClient;
  sqs?: () => Promise<SQSClient> | SQSClient;
  /** the Standard Webhooks secret webhooks are signed with (whsec_...) */
  webhookSecret?: string;
  webhookTimeoutMs?: number;
}

/** What every destination receives: the stable id, the type, when it was emitted, the data. */
export function envelope(item: OutboxItem): string {
  return JSON.stringify({
    id: item.messageId,
    type: item.type,
    timestamp: item.createdAt,
    data: JSON.parse(item.payload),
  });
}

/** Delivers one outbox message once; throws to ask for another attempt. */
export async function deliver(item: OutboxItem, targets: DeliveryTargets): Promise<void> {
  const body = envelope(item);
  const { destination } = item;
  switch (destination.kind) {
    case 'webhook':
      return deliverWebhook(destination.url, item, body, targets);
    case 'sqs':
      return sendToQueue(destination.queueUrl, item, body, targets);
    case 'sns':
      return publishToTopic(destination.topicArn, item, body, targets);
    case 'eventbridge':
      return putOnBus(destination, item, body, targets);
    default:
      throw new PermanentDeliveryError(`Unknown destination kind: ${JSON.stringify(destination)}`);
  }
}

async function sendToQueue(queueUrl: string, item: OutboxItem, body: string, targets: DeliveryTargets) {
  const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
  const sqs = await need(targets.sqs, 'sqs')();
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, ...messageFields(item, queueUrl) }));
}

async function publishToTopic(topicArn: string, item: OutboxItem, body: string, targets: DeliveryTargets) {
  const { PublishCommand } = await import('@aws-sdk/client-sns');
  const sns = await need(targets.sns, 'sns')();
  await sns.send(new PublishCommand({ TopicArn: topicArn, Message: body, ...messageFields(item, topicArn) }));
}

/** EventBridge answers 200 with a failed entry: throttling and internal failures are worth a retry. */
async function putOnBus(
  destination: Extract<Destination, { kind: 'eventbridge' }>,
  item: OutboxItem,
  body: string,
  targets: DeliveryTargets,
) {
  const { PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
  const eventBridge = await need(targets.eventBridge, 'eventbridge')();
  const { FailedEntryCount, Entries } = await eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: destination.busName,
          Source: destination.source ?? 'txonce',
          DetailType: item.type,
          Detail: body,
        },
      ],
    }),
  );
  if (!FailedEntryCount) return;
  const { ErrorCode, ErrorMessage } = Entries?.[0] ?? {};
  const message = `EventBridge refused the event: ${ErrorCode} ${ErrorMessage ?? ''}`;
  if (ErrorCode === 'InternalFailure' || ErrorCode === 'ThrottlingException') throw new Error(message);
  throw new PermanentDeliveryError(message);
}

async function deliverWebhook(url: string, item: OutboxItem, body: string, targets: DeliveryTargets): Promise<void> {
  if (!targets.webhookSecret)
    throw new PermanentDeliveryError('No webhook signing secret is configured for the publisher.');
  const now = new Date();
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': item.messageId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(targets.webhookSecret).sign(item.messageId, now, body),
    },
    signal: AbortSignal.timeout(targets.webhookTimeoutMs ?? 10_000),
  });
  await response.arrayBuffer().catch(() => undefined);
  if (response.ok) return;
  const message = `${url} answered ${response.status}`;
  // the receiver refused this message; only timeouts, throttling and server errors are worth a retry
  if (response.status >= 400 && response.status < 500 && ![408, 409, 425, 429].includes(response.status)) {
    throw new PermanentDeliveryError(message);
  }
  throw new Error(message);
}

/**
 * What SQS and SNS messages carry besides the body: the id as `idempotencyKey` (a txonce
 * consumer dedups on it), the type, and for FIFO targets a group per source event and the id
 * as deduplication id.
 */
function messageFields(item: OutboxItem, target: string) {
  const fifo = target.endsWith('.fifo');
  return {
    MessageAttributes: {
      [EVENT_ATTRIBUTES.key]: { DataType: 'String', StringValue: item.messageId },
      [EVENT_ATTRIBUTES.type]: { DataType: 'String', StringValue: item.type },
    },
    MessageGroupId: fifo ? item.sourceKey.slice(0, 128) : undefined,
    MessageDeduplicationId: fifo ? item.messageId : undefined,
  };
}

function need<T>(client: (() => Promise<T> | T) | undefined, kind: string): () => Promise<T> | T {
  if (!client) throw new PermanentDeliveryError(`The publisher has no ${kind} client configured.`);
  return client;
}
