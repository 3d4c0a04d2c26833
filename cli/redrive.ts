import {
  ChangeMessageVisibilityBatchCommand,
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

export interface RedriveOptions {
  sqs: SQSClient;
  dlqUrl: string;
  /** Destination queue. Default: the queue whose redrive policy names this DLQ. */
  to?: string;
  /** Only count and list what would move. */
  dryRun?: boolean;
  /** Messages per second. Default: as fast as SQS allows. */
  rate?: number;
  /** Move at most this many. Default: all. */
  max?: number;
  onProgress?: (moved: number, total: number) => void;
}

export interface RedriveResult {
  method: 'message-move-task' | 'copy' | 'dry-run';
  moved: number;
  destination: string | undefined;
  messageIds: string[];
}

/**
 * Moves DLQ messages back to their source queue. On AWS: StartMessageMoveTask, followed with
 * ListMessageMoveTasks. Where the endpoint lacks it (or with --max): receive → send → delete,
 * deleting a message only after its copy was sent, so a failure leaves it in the DLQ.
 */
export async function redrive(options: RedriveOptions): Promise<RedriveResult> {
  const total = await approximateCount(options.sqs, options.dlqUrl);
  if (options.dryRun) {
    const messages = await peek(options.sqs, options.dlqUrl, options.max ?? total);
    const destination = options.to ?? (await sourceQueue(options.sqs, options.dlqUrl).catch(() => undefined));
    return {
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

async function tryMessageMoveTask(options: RedriveOptions, total: number): Promise<RedriveResult | undefined> {
  const dlqArn = await arnOf(options.sqs, options.dlqUrl);
  const destinationArn = options.to ? await arnOf(options.sqs, options.to) : undefined;
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
      return { method: 'message-move-task', moved, destination: options.to, messageIds: [] };
    }
    await sleep(1000);
  }
}

async function copyBack(options: RedriveOptions, total: number): Promise<RedriveResult> {
  const destination = options.to ?? (await sourceQueue(options.sqs, options.dlqUrl));
  const fifo = destination.endsWith('.fifo');
  const limit = options.max ?? Number.POSITIVE_INFINITY;
  const pace = options.rate ? 1000 / options.rate : 0;
  const messageIds: string[] = [];
  let lastSend = 0;
  while (messageIds.length < limit) {
    const { Messages = [] } = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.dlqUrl,
        MaxNumberOfMessages: Math.min(10, limit - messageIds.length),
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        VisibilityTimeout: 60,
        WaitTimeSeconds: 1,
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      if (pace) await sleep(Math.max(0, lastSend + pace - Date.now()));
      lastSend = Date.now();
      await options.sqs.send(
        new SendMessageCommand({
          QueueUrl: destination,
          MessageBody: message.Body ?? '',
          MessageAttributes: message.MessageAttributes,
          MessageGroupId: fifo ? (message.Attributes?.MessageGroupId ?? 'txonce-redrive') : undefined,
          MessageDeduplicationId: fifo ? message.MessageId : undefined,
        }),
      );
      // only now that the copy is in the source queue
      await options.sqs.send(
        new DeleteMessageCommand({ QueueUrl: options.dlqUrl, ReceiptHandle: message.ReceiptHandle }),
      );
      messageIds.push(message.MessageId as string);
      options.onProgress?.(messageIds.length, Math.min(total, limit));
    }
  }
  return { method: 'copy', moved: messageIds.length, destination, messageIds };
}

/** Reads up to `max` messages and makes them visible again: nothing is consumed. */
export async function peek(sqs: SQSClient, queueUrl: string, max: number): Promise<Message[]> {
  const seen = new Map<string, Message>();
  while (seen.size < max) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max - seen.size),
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        VisibilityTimeout: 30,
        WaitTimeSeconds: 0,
      }),
    );
    const fresh = Messages.filter((message) => !seen.has(message.MessageId as string));
    if (fresh.length === 0) break;
    for (const message of fresh) seen.set(message.MessageId as string, message);
  }
  const messages = [...seen.values()];
  for (let start = 0; start < messages.length; start += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.slice(start, start + 10).map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
  return messages;
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

async function approximateCount(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0);
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
