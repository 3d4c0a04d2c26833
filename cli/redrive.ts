import { randomUUID } from 'node:crypto';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { copyBackAttributes } from '../lib/batch/dead-letter.js';
import { DEAD_LETTER_ATTRIBUTES, readDeadLetterReason } from '../lib/index.js';
import { peek, release } from '../ops/sqs-peek.js';
import { onQueue } from './errors.js';

export interface RedriveOptions {
  sqs: SQSClient;
  dlqUrl: string;
  /** Destination queue. Default: the queue whose redrive policy names this DLQ. */
  to?: string;
  /** Only count and list what would move. */
  dryRun?: boolean;
  /** Messages per second. Default: as fast as SQS allows. */
  rate?: number;
  /** Move at most this many. Default: all that were in the DLQ when the redrive started. */
  max?: number;
  onProgress?: (moved: number, total: number) => void;
  /**
   * After the copy, how long to watch for copies that fail again (they are counted, and left in
   * the DLQ) while the source queue still holds some. Default 20 s.
   */
  watchSeconds?: number;
  /** Told once when the copy is done and the watch begins. */
  onWatch?: (seconds: number, copies: number) => void;
  /** Stops the copy between two messages; what was received and not moved is made visible again. */
  signal?: AbortSignal;
}

export interface RedriveResult {
  method: 'message-move-task' | 'copy' | 'dry-run';
  /** distinct messages moved */
  moved: number;
  destination: string | undefined;
  messageIds: string[];
  /** copies made by this run that failed again and are back in the DLQ, left there for a person */
  failedAgain: number;
  /**
   * copies not back in the DLQ when the watch ended while the source queue still held messages:
   * applied, or still being tried there (a transient failure comes back after maxReceiveCount)
   */
  unsettled: number;
  /** messages that reached the DLQ after the redrive started, left there */
  arrivedLater: number;
  /** the run stopped early (signal) */
  interrupted: boolean;
}

/** How long a received message stays hidden while it is copied; released at once when not moved. */
const RECEIVE_VISIBILITY_SECONDS = 30;

/**
 * Moves the messages that are in the DLQ when it starts back to their source queue, then
 * stops. On AWS: StartMessageMoveTask, followed with ListMessageMoveTasks. Where the endpoint
 * lacks it (or with --max): receive → send → delete, deleting a message only after its copy was
 * sent, so a failure leaves it in the DLQ. A copy that fails again and comes back is left in the
 * DLQ, so the copy ends: it is recognised by its message id (SQS keeps it when it moves a message
 * after maxReceiveCount; txonce's dead letter names it as `failedMessageId`) or by this run's mark.
 */
export async function redrive(options: RedriveOptions): Promise<RedriveResult> {
  const { visible: total } = await queueCounts(options.sqs, options.dlqUrl);
  if (options.dryRun) {
    const messages = await peek(options.sqs, options.dlqUrl, options.max ?? Number.POSITIVE_INFINITY);
    const destination = options.to ?? (await sourceQueue(options.sqs, options.dlqUrl).catch(() => undefined));
    return {
      ...NOTHING_LEFT,
      method: 'dry-run',
      moved: 0,
      destination,
      messageIds: messages.map((message) => message.MessageId as string),
    };
  }
  if (options.max === undefined) {
    const moved = await tryMessageMoveTask(options, total);
    if (moved) return moved;
  }
  return copyBack(options, total);
}

const NOTHING_LEFT = { failedAgain: 0, unsettled: 0, arrivedLater: 0, interrupted: false };
const DEFAULT_WATCH_SECONDS = 20;

async function tryMessageMoveTask(options: RedriveOptions, total: number): Promise<RedriveResult | undefined> {
  const dlqArn = await arnOf(options.sqs, options.dlqUrl);
  const { to } = options;
  const destinationArn = to ? await onQueue(to, () => arnOf(options.sqs, to)) : undefined;
  let taskHandle: string | undefined;
  try {
    ({ TaskHandle: taskHandle } = await options.sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: dlqArn,
        DestinationArn: destinationArn,
        MaxNumberOfMessagesPerSecond: options.rate,
      }),
    ));
  } catch (error) {
    if (isUnsupported(error)) return undefined;
    throw error;
  }
  for (;;) {
    const { Results = [] } = await options.sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 10 }),
    );
    const task = Results.find((result) => result.TaskHandle === taskHandle) ?? Results[0];
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    options.onProgress?.(moved, task?.ApproximateNumberOfMessagesToMove ?? total);
    if (task && task.Status !== 'RUNNING') {
      if (task.Status !== 'COMPLETED')
        throw new Error(`The message move task ended ${task.Status}: ${task.FailureReason ?? ''}`);
      return { ...NOTHING_LEFT, method: 'message-move-task', moved, destination: options.to, messageIds: [] };
    }
    if (options.signal?.aborted) {
      const { CancelMessageMoveTaskCommand } = await import('@aws-sdk/client-sqs');
      await options.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: taskHandle }));
      return {
        ...NOTHING_LEFT,
        method: 'message-move-task',
        moved,
        destination: options.to,
        messageIds: [],
        interrupted: true,
      };
    }
    await sleep(1000);
  }
}

async function copyBack(options: RedriveOptions, total: number): Promise<RedriveResult> {
  const destination = options.to ?? (await sourceQueue(options.sqs, options.dlqUrl));
  const fifo = destination.endsWith('.fifo');
  const limit = options.max ?? Number.POSITIVE_INFINITY;
  const pace = options.rate ? 1000 / options.rate : 0;
  const run = randomUUID();
  // SQS's clock stamps SentTimestamp; a second of slack for a clock that runs behind it
  const startedAt = Date.now() + 1000;
  const moved = new Set<string>();
  /** the message ids of the copies this run sent */
  const copies = new Set<string>();
  const cameBack = new Set<string>();
  const later = new Set<string>();
  /** received, not moved (by id: the latest receipt): made visible again before returning, so `dlq list` sees them at once */
  const held = new Map<string, Message>();
  const hold = (...messages: Message[]) => {
    for (const message of messages) held.set(message.MessageId as string, message);
  };
  const arrivedAfterStart = (message: Message) => Number(message.Attributes?.SentTimestamp ?? 0) > startedAt;
  let lastSend = 0;
  let interrupted = false;
  /** Sorts a received message that is not to be moved: a copy back from its source queue, or a newcomer. */
  const leave = (message: Message): void => {
    const id = message.MessageId as string;
    if (isOwnCopy(message, run, copies)) cameBack.add(id);
    else if (arrivedAfterStart(message)) later.add(id);
    hold(message);
  };
  const receive = async (max: number) =>
    (
      await options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.dlqUrl,
          MaxNumberOfMessages: max,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
          VisibilityTimeout: RECEIVE_VISIBILITY_SECONDS,
          WaitTimeSeconds: 1,
        }),
      )
    ).Messages ?? [];
  let settled = true;
  try {
    receiving: while (moved.size < limit) {
      const messages = await receive(Math.min(10, limit - moved.size));
      if (messages.length === 0) break;
      for (const [index, message] of messages.entries()) {
        const id = message.MessageId as string;
        if (options.signal?.aborted || moved.size >= limit) {
          interrupted = options.signal?.aborted ?? false;
          hold(...messages.slice(index));
          break receiving;
        }
        if (isOwnCopy(message, run, copies) || arrivedAfterStart(message)) {
          leave(message);
          continue;
        }
        if (pace) await sleep(Math.max(0, lastSend + pace - Date.now()));
        lastSend = Date.now();
        const { MessageId: copyId } = await onQueue(destination, () =>
          options.sqs.send(
            new SendMessageCommand({
              QueueUrl: destination,
              MessageBody: message.Body ?? '',
              MessageAttributes: copyBackAttributes(message.MessageAttributes, run),
              MessageGroupId: fifo ? (message.Attributes?.MessageGroupId ?? 'txonce-redrive') : undefined,
              MessageDeduplicationId: fifo ? id : undefined,
            }),
          ),
        );
        // only now that the copy is in the source queue
        await options.sqs.send(
          new DeleteMessageCommand({ QueueUrl: options.dlqUrl, ReceiptHandle: message.ReceiptHandle }),
        );
        moved.add(id);
        if (copyId) copies.add(copyId);
        options.onProgress?.(moved.size, Math.max(moved.size, Math.min(total, limit)));
      }
    }
    // Wait for the copies' fate, so the report counts those that fail again: until each is back,
    // or the source queue has none left (received and deleted: applied, or dead-lettered first).
    const watchSeconds = options.watchSeconds ?? DEFAULT_WATCH_SECONDS;
    const deadline = Date.now() + watchSeconds * 1000;
    settled = cameBack.size >= copies.size;
    if (!settled && watchSeconds > 0) options.onWatch?.(watchSeconds, copies.size - cameBack.size);
    while (!settled && !options.signal?.aborted && Date.now() < deadline) {
      const left = await queueCounts(options.sqs, destination);
      const drained = left.visible + left.inFlight === 0;
      const messages = await receive(10);
      for (const message of messages) leave(message);
      settled = cameBack.size >= copies.size || (drained && messages.length === 0);
    }
    interrupted ||= options.signal?.aborted ?? false;
  } finally {
    await release(options.sqs, options.dlqUrl, [...held.values()]).catch(() => undefined);
  }
  return {
    method: 'copy',
    moved: moved.size,
    destination,
    messageIds: [...moved],
    failedAgain: cameBack.size,
    unsettled: settled ? 0 : copies.size - cameBack.size,
    arrivedLater: later.size,
    interrupted,
  };
}

/** A copy this run sent that failed again: SQS moved it back as it was, or txonce dead-lettered it. */
function isOwnCopy(message: Message, run: string, copies: Set<string>): boolean {
  if (message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.redriveRun]?.StringValue === run) return true;
  if (copies.has(message.MessageId as string)) return true;
  const failedMessageId = readDeadLetterReason(message.MessageAttributes)?.failedMessageId;
  return failedMessageId !== undefined && copies.has(failedMessageId);
}

async function sourceQueue(sqs: SQSClient, dlqUrl: string): Promise<string> {
  const { queueUrls = [] } = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }));
  if (queueUrls.length !== 1) {
    throw new Error(
      `${queueUrls.length === 0 ? 'No queue names' : 'Several queues name'} this DLQ in their redrive policy; pass --to <queue URL>.`,
    );
  }
  return queueUrls[0];
}

async function arnOf(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn as string;
}

/** Emulators without the move-task API answer with an unknown action or an unparsable error page. */
function isUnsupported(error: unknown): boolean {
  const { name = '', $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    ['UnsupportedOperation', 'InvalidAction', 'UnknownOperationException', 'NotImplemented', 'SyntaxError'].includes(
      name,
    ) || $metadata?.httpStatusCode === 501
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A queue's messages: visible, and in flight (received by someone, not yet visible again). */
export async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}
