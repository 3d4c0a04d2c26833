import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { OutboxItem } from '../../lib/index.js';
import { type DeliveryTargets, deliver, PermanentDeliveryError } from './deliver.js';

export interface PublisherDependencies {
  dynamo: DynamoDBDocumentClient;
  outboxTable: string;
  targets: DeliveryTargets;
  /** Where messages go once their attempts are exhausted (or the destination refused them). */
  failureQueue?: { client: SQSClient; queueUrl: string };
  /** Attempts per message in one invocation, with exponential backoff between them. Default 3. */
  maxAttempts?: number;
  baseDelayMs?: number;
  logger: Logger;
  /** Told about every message's fate (the local stack prints it). */
  onResult?: (result: PublishResult) => void;
}

export interface PublishResult {
  messageId: string;
  status: 'delivered' | 'failed';
  attempts: number;
  error?: string;
}

/**
 * The outbox publisher, triggered by the outbox table's stream (INSERTs only): delivers each
 * message to its destination, at least once and always under the same id, records every
 * attempt on the item (attempts, history, deliveredAt), and sends messages whose attempts run
 * out to the failure queue. If even that fails, the record and those after it are reported as
 * batch item failures, so the stream retries them in order.
 */
export function createPublisher(
  deps: PublisherDependencies,
): (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse> {
  const maxAttempts = deps.maxAttempts ?? 3;
  const baseDelayMs = deps.baseDelayMs ?? 200;

  const attempt = async (item: OutboxItem): Promise<PublishResult> => {
    let error: unknown;
    for (let number = 1; number <= maxAttempts; number++) {
      try {
        await deliver(item, deps.targets);
        await record(item, { ok: true });
        return { messageId: item.messageId, status: 'delivered', attempts: number };
      } catch (caught) {
        error = caught;
        await record(item, { ok: false, error: (caught as Error).message });
        if (caught instanceof PermanentDeliveryError) break;
        if (number < maxAttempts) await sleep(Math.random() * baseDelayMs * 2 ** (number - 1));
      }
    }
    return { messageId: item.messageId, status: 'failed', attempts: maxAttempts, error: (error as Error)?.message };
  };

  /** Bookkeeping on the item; a failure here must not fail a delivery that happened. */
  const record = async (item: OutboxItem, entry: { ok: boolean; error?: string }) => {
    const at = new Date().toISOString();
    try {
      await deps.dynamo.send(
        new UpdateCommand({
          TableName: deps.outboxTable,
          Key: { pk: item.pk },
          UpdateExpression: entry.ok
            ? 'SET #attempts = if_not_exists(#attempts, :zero) + :one, #history = list_append(if_not_exists(#history, :empty), :entry), #status = :delivered, #deliveredAt = :at'
            : 'SET #attempts = if_not_exists(#attempts, :zero) + :one, #history = list_append(if_not_exists(#history, :empty), :entry)',
          ExpressionAttributeNames: {
            '#attempts': 'attempts',
            '#history': 'history',
            ...(entry.ok ? { '#status': 'status', '#deliveredAt': 'deliveredAt' } : {}),
          },
          ExpressionAttributeValues: {
            ':zero': 0,
            ':one': 1,
            ':empty': [],
            ':entry': [{ at, ok: entry.ok, ...(entry.error ? { error: entry.error.slice(0, 500) } : {}) }],
            ...(entry.ok ? { ':delivered': 'delivered', ':at': at } : {}),
          },
        }),
      );
    } catch (error) {
      deps.logger.warn('could not record a delivery attempt', { messageId: item.messageId, error: error as Error });
    }
  };

  const sendToFailureQueue = async (item: OutboxItem, result: PublishResult): Promise<boolean> => {
    if (!deps.failureQueue) return false;
    try {
      const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
      await deps.failureQueue.client.send(
        new SendMessageCommand({
          QueueUrl: deps.failureQueue.queueUrl,
          MessageBody: JSON.stringify(item),
          MessageAttributes: {
            idempotencyKey: { DataType: 'String', StringValue: item.messageId },
            'txonce.errorMessage': { DataType: 'String', StringValue: (result.error ?? 'unknown').slice(0, 1024) },
          },
        }),
      );
      await deps.dynamo
        .send(
          new UpdateCommand({
            TableName: deps.outboxTable,
            Key: { pk: item.pk },
            UpdateExpression: 'SET #status = :failed',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':failed': 'failed' },
          }),
        )
        .catch(() => undefined);
      return true;
    } catch (error) {
      deps.logger.error('could not send to the failure queue', { messageId: item.messageId, error: error as Error });
      return false;
    }
  };

  return async (event) => {
    const records = event.Records ?? [];
    for (const [index, streamRecord] of records.entries()) {
      const item = itemOf(streamRecord);
      if (!item) continue; // not an INSERT: the event filter normally keeps these out
      const result = await attempt(item);
      deps.onResult?.(result);
      if (result.status === 'delivered') {
        deps.logger.info('message delivered', {
          messageId: item.messageId,
          destination: item.destination.kind,
          attempts: result.attempts,
        });
        continue;
      }
      deps.logger.warn('message not delivered', {
        messageId: item.messageId,
        destination: item.destination.kind,
        error: result.error,
      });
      if (await sendToFailureQueue(item, result)) continue;
      // keep order: this record and every later one come back from the stream
      return {
        batchItemFailures: records
          .slice(index)
          .map((failed) => ({ itemIdentifier: failed.dynamodb?.SequenceNumber as string })),
      };
    }
    return { batchItemFailures: [] };
  };
}

function itemOf(record: DynamoDBRecord): OutboxItem | undefined {
  if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) return undefined;
  return unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue> as never) as OutboxItem;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
