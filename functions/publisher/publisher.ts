import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { EVENT_ATTRIBUTES } from '../../lib/contracts/sqs-attributes.js';
import type { OutboxItem } from '../../lib/index.js';
import { type DeliveryTargets, deliver, PermanentDeliveryError } from './deliver.js';

/** How long after a message's first attempt the publisher keeps trying: a real outage, not a blip. */
export const DEFAULT_RETRY_WINDOW_MS = 5 * 60_000;
/** First backoff; it doubles after each failed attempt, up to DEFAULT_MAX_DELAY_MS. */
export const DEFAULT_BASE_DELAY_MS = 1000;
export const DEFAULT_MAX_DELAY_MS = 30_000;
/** Kept free at the end of a Lambda invocation to report what is left to the stream. */
const INVOCATION_MARGIN_MS = 5000;

export interface PublisherDependencies {
  dynamo: DynamoDBDocumentClient;
  outboxTable: string;
  targets: DeliveryTargets;
  /** Where messages go once their retry window ends (or the destination refused them). */
  failureQueue?: { client: SQSClient; queueUrl: string };
  /** How long after its first attempt a message is retried. Default 5 minutes. */
  retryWindowMs?: number;
  /** Backoff: from baseDelayMs (default 1 s), doubling, capped at maxDelayMs (default 30 s), jittered. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** An optional cap on attempts inside the window. Default: none, the window decides. */
  maxAttempts?: number;
  /** Once delivered, a message expires (DynamoDB TTL on `attribute`) after `seconds`. Default: kept. */
  deliveredExpiry?: { attribute: string; seconds: number };
  /** Time one invocation may use when there is no Lambda context (locally). Default 60 s. */
  invocationBudgetMs?: number;
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

interface Attempt {
  at: string;
  ok: boolean;
  error?: string;
}

/** The invocation ran out of time before this message was settled: the stream brings it back. */
class Unsettled extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Unsettled';
  }
}

/**
 * The outbox publisher, triggered by the outbox table's stream (INSERTs only): delivers each
 * message to its destination, at least once and always under the same id, retrying with
 * backoff for a retry window that outlasts a real outage (5 minutes by default, measured from
 * the message's first attempt and carried across invocations on the item), and records every
 * attempt on the item (attempts, history, status, deliveredAt). A message whose window ends goes
 * to the failure queue and is marked `failed`. Bookkeeping that cannot be written is never
 * dropped: attempts recorded late are written with the final status, and a final status that
 * cannot be written before the invocation's time runs out makes the record (and those after
 * it) a batch item failure, so the stream retries them in order.
 */
export function createPublisher(
  deps: PublisherDependencies,
): (event: DynamoDBStreamEvent, context?: Context) => Promise<DynamoDBBatchResponse> {
  const retryWindowMs = deps.retryWindowMs ?? DEFAULT_RETRY_WINDOW_MS;
  const baseDelayMs = deps.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const maxDelayMs = deps.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const maxAttempts = deps.maxAttempts ?? Number.POSITIVE_INFINITY;

  /** Full backoff, jittered between half and all of it. */
  const backoff = (attempt: number) => {
    const full = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    return full / 2 + Math.random() * (full / 2);
  };

  const publish = async (streamed: OutboxItem, deadline: number): Promise<PublishResult> => {
    const stored = await current(streamed);
    if (stored?.status === 'delivered' || stored?.status === 'failed') {
      return { messageId: streamed.messageId, status: stored.status, attempts: Number(stored.attempts ?? 0) };
    }
    const item = { ...streamed, ...stored } as OutboxItem & { firstAttemptAt?: string };
    const firstAttemptAt = Date.parse(String(item.firstAttemptAt ?? '')) || Date.now();
    const unrecorded: Attempt[] = [];
    let attempts = Number(item.attempts ?? 0);
    let error: unknown;
    for (let number = 1; ; number++) {
      attempts++;
      try {
        await deliver(item, deps.targets);
        unrecorded.push({ at: new Date().toISOString(), ok: true });
        await settle(item, 'delivered', unrecorded, firstAttemptAt, deadline);
        return { messageId: item.messageId, status: 'delivered', attempts };
      } catch (caught) {
        if (caught instanceof Unsettled) throw caught;
        error = caught;
        unrecorded.push({ at: new Date().toISOString(), ok: false, error: (caught as Error).message.slice(0, 500) });
        // best effort now, so `txonce outbox list` shows the history during an outage; kept if it fails
        if (await write(item, unrecorded, firstAttemptAt)) unrecorded.length = 0;
      }
      if (error instanceof PermanentDeliveryError || number >= maxAttempts) break;
      const delay = backoff(number);
      if (Date.now() + delay > firstAttemptAt + retryWindowMs) break;
      if (Date.now() + delay > deadline) throw new Unsettled('the invocation ends before the next attempt');
      await sleep(delay);
    }
    const result: PublishResult = {
      messageId: item.messageId,
      status: 'failed',
      attempts,
      error: (error as Error)?.message,
    };
    await sendToFailureQueue(item, result);
    await settle(item, 'failed', unrecorded, firstAttemptAt, deadline);
    return result;
  };

  /** The item as stored: a redelivered stream record must not repeat what an earlier invocation settled. */
  const current = async (item: OutboxItem): Promise<Record<string, unknown> | undefined> => {
    try {
      const { Item } = await deps.dynamo.send(
        new GetCommand({ TableName: deps.outboxTable, Key: { pk: item.pk }, ConsistentRead: true }),
      );
      return Item;
    } catch (error) {
      // the database is down: deliver from the stream's copy; the final write will wait for it
      deps.logger.warn('could not read the outbox item', { messageId: item.messageId, error: error as Error });
      return undefined;
    }
  };

  /** Records attempts (and a final status); false if the database did not take it. */
  const write = async (
    item: OutboxItem,
    entries: Attempt[],
    firstAttemptAt: number,
    status?: 'delivered' | 'failed',
  ): Promise<boolean> => {
    const delivered = entries.find((entry) => entry.ok);
    // a delivered message is kept for inspection, then DynamoDB's TTL removes it; failed ones stay
    const expiry = status === 'delivered' ? deps.deliveredExpiry : undefined;
    try {
      await deps.dynamo.send(
        new UpdateCommand({
          TableName: deps.outboxTable,
          Key: { pk: item.pk },
          UpdateExpression: [
            'SET #attempts = if_not_exists(#attempts, :zero) + :count',
            '#history = list_append(if_not_exists(#history, :empty), :entries)',
            '#firstAttemptAt = if_not_exists(#firstAttemptAt, :first)',
            ...(status ? ['#status = :status'] : []),
            ...(delivered ? ['#deliveredAt = :deliveredAt'] : []),
            ...(expiry ? ['#expiresAt = :expiresAt'] : []),
          ].join(', '),
          ExpressionAttributeNames: {
            '#attempts': 'attempts',
            '#history': 'history',
            '#firstAttemptAt': 'firstAttemptAt',
            ...(status ? { '#status': 'status' } : {}),
            ...(delivered ? { '#deliveredAt': 'deliveredAt' } : {}),
            ...(expiry ? { '#expiresAt': expiry.attribute } : {}),
          },
          ExpressionAttributeValues: {
            ':zero': 0,
            ':count': entries.length,
            ':empty': [],
            ':entries': entries,
            ':first': new Date(firstAttemptAt).toISOString(),
            ...(status ? { ':status': status } : {}),
            ...(delivered ? { ':deliveredAt': delivered.at } : {}),
            ...(expiry ? { ':expiresAt': Math.floor(Date.now() / 1000) + expiry.seconds } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      deps.logger.warn('could not record on the outbox item; will write it with the next one', {
        messageId: item.messageId,
        error: error as Error,
      });
      return false;
    }
  };

  /** The final status must be written: retried with backoff until the invocation's time runs out. */
  const settle = async (
    item: OutboxItem,
    status: 'delivered' | 'failed',
    entries: Attempt[],
    firstAttemptAt: number,
    deadline: number,
  ) => {
    for (let number = 1; ; number++) {
      if (await write(item, entries, firstAttemptAt, status)) return;
      const delay = backoff(number);
      if (Date.now() + delay > deadline) {
        throw new Unsettled(`could not record status ${status} on the outbox item before the invocation ended`);
      }
      await sleep(delay);
    }
  };

  const sendToFailureQueue = async (item: OutboxItem, result: PublishResult): Promise<void> => {
    if (!deps.failureQueue) throw new Unsettled('no failure queue is configured');
    const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
    try {
      await deps.failureQueue.client.send(
        new SendMessageCommand({
          QueueUrl: deps.failureQueue.queueUrl,
          MessageBody: JSON.stringify(item),
          MessageAttributes: {
            [EVENT_ATTRIBUTES.key]: { DataType: 'String', StringValue: item.messageId },
            'txonce.errorMessage': { DataType: 'String', StringValue: (result.error ?? 'unknown').slice(0, 1024) },
          },
        }),
      );
    } catch (error) {
      deps.logger.error('could not send to the failure queue', { messageId: item.messageId, error: error as Error });
      throw new Unsettled('the failure queue did not take the message');
    }
  };

  return async (event, context) => {
    const deadline =
      Date.now() +
      (context ? context.getRemainingTimeInMillis() - INVOCATION_MARGIN_MS : (deps.invocationBudgetMs ?? 60_000));
    const records = event.Records ?? [];
    for (const [index, streamRecord] of records.entries()) {
      const item = itemOf(streamRecord);
      if (!item) continue; // not an INSERT: the event filter normally keeps these out
      let result: PublishResult;
      try {
        result = await publish(item, deadline);
      } catch (error) {
        if (!(error instanceof Unsettled)) throw error;
        deps.logger.warn('message not settled in this invocation; the stream retries it', {
          messageId: item.messageId,
          reason: error.message,
        });
        // keep order: this record and every later one come back from the stream
        return {
          batchItemFailures: records
            .slice(index)
            .map((failed) => ({ itemIdentifier: failed.dynamodb?.SequenceNumber as string })),
        };
      }
      deps.onResult?.(result);
      const details = { messageId: item.messageId, destination: item.destination.kind, attempts: result.attempts };
      if (result.status === 'delivered') deps.logger.info('message delivered', details);
      else deps.logger.warn('message not delivered: sent to the failure queue', { ...details, error: result.error });
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
