import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { EVENT_ATTRIBUTES } from '../lib/contracts/sqs-attributes.js';
import { lambdaContext } from './lambda-context.js';
import { PollLoop } from './poll-loop.js';

/** How long before their visibility timeout ends failed FIFO messages are released. */
const RELEASE_EARLY_MS = 250;

/** Any SQS-triggered handler: a `{ batchItemFailures }` result is a partial batch response, anything else is success. */
export type SqsLambdaHandler = (event: SQSEvent, context: Context) => Promise<unknown>;

export interface SqsPollerOptions {
  client: SQSClient;
  queueUrl: string;
  handler: SqsLambdaHandler;
  /** Records per invocation, like the event source mapping's BatchSize. Default 10. */
  batchSize?: number;
  /** How long to gather a batch, like MaximumBatchingWindowInSeconds (in ms here). Default 0. */
  batchWindowMs?: number;
  /** The function's timeout: what getRemainingTimeInMillis counts down from. Default 30 000. */
  functionTimeoutMs?: number;
  /** Long-poll wait per receive, in seconds; short keeps stop() quick. Default 1. */
  waitTimeSeconds?: number;
  /** Told about every invocation, for logs. */
  onInvoke?: (report: InvocationReport) => void;
  /** Batches handled at once, like ScalingConfig.MaximumConcurrency. Default 1. */
  maxConcurrency?: number;
  /** The mapping's FilterCriteria: records that do not pass are deleted without an invocation, as Lambda does. */
  filter?: (record: SQSRecord) => boolean;
  /** FunctionResponseTypes has ReportBatchItemFailures: a `batchItemFailures` result is honoured. Default true. */
  reportBatchItemFailures?: boolean;
}

export interface InvocationReport {
  records: number;
  /** messages deleted from the queue (done) */
  deleted: number;
  /** messages left to reappear after the visibility timeout */
  retried: number;
  /** the handler threw or timed out: the whole batch is retried, as Lambda does */
  error?: unknown;
  /** each record's idempotency key (its `idempotencyKey` attribute, else its message id), and whether it failed */
  outcomes?: { key: string; failed: boolean }[];
}

/**
 * Lambda's SQS event source mapping, on one machine: receive a batch, invoke the handler with
 * a real SQSEvent, delete what succeeded, and leave the failures to reappear after the
 * visibility timeout, where SQS's own redrive policy moves them to the DLQ after
 * maxReceiveCount. Honours partial batch responses the way Lambda does: a response naming a
 * record that is not in the batch fails the whole batch.
 */
export class SqsPoller {
  /** stop() ends a long poll and the pause after a failed receive at once */
  private readonly polling = new PollLoop();
  private queueArn: string | undefined;
  private visibilityTimeoutMs = 30_000;
  private readonly releaseTimers = new Set<NodeJS.Timeout>();
  private readonly batchSize: number;
  private readonly batchWindowMs: number;
  private readonly functionTimeoutMs: number;
  private readonly waitTimeSeconds: number;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: SqsPollerOptions) {
    this.batchSize = options.batchSize ?? 10;
    this.batchWindowMs = options.batchWindowMs ?? 0;
    this.functionTimeoutMs = options.functionTimeoutMs ?? 30_000;
    this.waitTimeSeconds = options.waitTimeSeconds ?? 1;
    if (!(Number.isInteger(this.batchSize) && this.batchSize >= 1))
      throw new TypeError('SqsPoller: batchSize must be >= 1');
  }

  async start(): Promise<void> {
    if (this.polling.running) return;
    const { Attributes } = await this.options.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.options.queueUrl,
        AttributeNames: ['QueueArn', 'VisibilityTimeout'],
      }),
    );
    this.queueArn = Attributes?.QueueArn;
    this.visibilityTimeoutMs = Number(Attributes?.VisibilityTimeout ?? 30) * 1000;
    const limit = this.options.maxConcurrency ?? 1;
    this.polling.start({
      turn: () => this.receiveAndInvoke(limit),
      failed: (error) => this.options.onInvoke?.({ records: 0, deleted: 0, retried: 0, error }),
      finish: () => Promise.all(this.inFlight),
    });
  }

  /** Stops receiving at once (a long poll is cut short); resolves after the batches in flight (if any) have been handled. */
  async stop(): Promise<void> {
    await this.polling.stop();
    for (const timer of this.releaseTimers) clearTimeout(timer);
    this.releaseTimers.clear();
  }

  /** Waits for a free slot, receives a batch and hands it to the handler without waiting for it. */
  private async receiveAndInvoke(limit: number): Promise<void> {
    while (this.inFlight.size >= limit) await Promise.race(this.inFlight);
    const { messages, receivedAt } = await this.receiveBatch();
    if (messages.length === 0) return;
    const batch = this.invoke(messages, receivedAt)
      .catch((error) => this.options.onInvoke?.({ records: messages.length, deleted: 0, retried: 0, error }))
      .finally(() => this.inFlight.delete(batch));
    this.inFlight.add(batch);
  }

  /** Long-polls for a first message, then gathers more until the batch is full or the window closes. */
  private async receiveBatch(): Promise<{ messages: Message[]; receivedAt: number }> {
    const messages: Message[] = [];
    let deadline = Number.POSITIVE_INFINITY;
    let receivedAt = Date.now();
    while (this.polling.running && messages.length < this.batchSize) {
      const startedAt = Date.now();
      const { Messages = [] } = await this.options.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.options.queueUrl,
          MaxNumberOfMessages: Math.min(10, this.batchSize - messages.length),
          WaitTimeSeconds: messages.length > 0 ? 0 : this.waitTimeSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
        { abortSignal: this.polling.signal },
      );
      if (messages.length === 0) {
        if (Messages.length === 0) return { messages, receivedAt };
        receivedAt = startedAt;
        deadline = Date.now() + this.batchWindowMs;
      }
      messages.push(...Messages);
      const left = deadline - Date.now();
      if (left <= 0) break;
      if (Messages.length === 0) await new Promise((resolve) => setTimeout(resolve, Math.min(100, left)));
    }
    return { messages, receivedAt };
  }

  private async invoke(received: Message[], receivedAt: number): Promise<void> {
    const filter = this.options.filter;
    const records = received.map((message) => this.toRecord(message));
    const dropped = filter ? received.filter((_, index) => !filter(records[index])) : [];
    // Lambda deletes the messages its filter criteria drop: they never reach the function
    if (dropped.length > 0) await this.delete(dropped);
    const messages = received.filter((message) => !dropped.includes(message));
    if (messages.length === 0) return;
    const event: SQSEvent = { Records: records.filter((_, index) => !dropped.includes(received[index])) };
    let failed: Set<string>;
    let error: unknown;
    try {
      const response = await withTimeout(
        this.options.handler(event, lambdaContext(this.functionTimeoutMs, 'local-consumer')),
        this.functionTimeoutMs,
      );
      failed = this.options.reportBatchItemFailures === false ? new Set() : failedIds(event.Records, response);
    } catch (caught) {
      error = caught;
      failed = new Set(event.Records.map((record) => record.messageId));
    }
    const done = messages.filter((message) => !failed.has(message.MessageId as string));
    await this.delete(done);
    if (this.queueArn?.endsWith('.fifo')) {
      this.releaseWhenVisible(
        messages.filter((message) => failed.has(message.MessageId as string)),
        receivedAt + this.visibilityTimeoutMs,
      );
    }
    const outcomes = event.Records.map((record) => ({
      key: record.messageAttributes?.[EVENT_ATTRIBUTES.key]?.stringValue ?? record.messageId,
      failed: failed.has(record.messageId),
    }));
    this.options.onInvoke?.({ records: messages.length, deleted: done.length, retried: failed.size, error, outcomes });
  }

  private async delete(messages: Message[]): Promise<void> {
    for (let start = 0; start < messages.length; start += 10) {
      const chunk = messages.slice(start, start + 10);
      const { Failed } = await this.options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
      if (Failed?.length)
        throw new Error(`SQS did not delete ${Failed.length} processed messages: ${Failed[0].Message}`);
    }
  }

  /**
   * FIFO failures come back when their visibility timeout ends, as on AWS. Releasing them
   * together at that moment changes nothing on SQS, and keeps moto server (which hands out
   * the later of two timed-out messages of one group first) in group order.
   */
  private releaseWhenVisible(failed: Message[], visibleAt: number): void {
    if (failed.length === 0) return;
    const timer = setTimeout(
      () => {
        this.releaseTimers.delete(timer);
        this.options.client
          .send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: this.options.queueUrl,
              Entries: failed.map((message, index) => ({
                Id: String(index),
                ReceiptHandle: message.ReceiptHandle,
                VisibilityTimeout: 0,
              })),
            }),
          )
          .catch(() => undefined); // already visible or received again: nothing to release
      },
      Math.max(0, visibleAt - Date.now() - RELEASE_EARLY_MS),
    );
    this.releaseTimers.add(timer);
  }

  private toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    const messageAttributes: SQSRecord['messageAttributes'] = {};
    for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
      messageAttributes[name] = {
        dataType: value.DataType as string,
        stringValue: value.StringValue,
        binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
        stringListValues: [],
        binaryListValues: [],
      } as SQSRecord['messageAttributes'][string];
    }
    return {
      messageId: message.MessageId as string,
      receiptHandle: message.ReceiptHandle as string,
      body: message.Body ?? '',
      attributes: attributes as unknown as SQSRecord['attributes'],
      messageAttributes,
      md5OfBody: message.MD5OfBody ?? '',
      md5OfMessageAttributes: message.MD5OfMessageAttributes,
      eventSource: 'aws:sqs',
      eventSourceARN: this.queueArn ?? '',
      awsRegion: this.queueArn?.split(':')[3] ?? 'us-east-1',
    } as SQSRecord;
  }
}

/** Lambda's reading of a partial batch response. */
function failedIds(records: SQSRecord[], response: unknown): Set<string> {
  const all = new Set(records.map((record) => record.messageId));
  const failures = (response as Partial<SQSBatchResponse> | undefined)?.batchItemFailures ?? [];
  const failed = new Set<string>();
  for (const failure of failures) {
    if (!failure?.itemIdentifier || !all.has(failure.itemIdentifier)) return all;
    failed.add(failure.itemIdentifier);
  }
  return failed;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Task timed out after ${ms / 1000} seconds`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
