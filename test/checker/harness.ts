import { randomUUID } from 'node:crypto';
import {
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
  TransactionInProgressException,
} from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { Context, SQSRecord } from 'aws-lambda';
import {
  defaultSqsKey,
  Idempotency,
  type IdempotentContext,
  idempotency,
  outboxMessageId,
  PermanentError,
  readDeadLetterReason,
  recordKey,
  sqsBatchHandler,
  type Tx,
} from '../../lib/index.js';
import { mulberry32, shuffle } from '../support/random.js';
import type { Channel, Schedule } from './schedule.js';
import type { CallHook, World } from './world.js';

/** Faults actually injected, by kind, over every schedule run so far. */
export type FaultCounts = Record<string, number>;

/** One application of an event's business effect, as the business table recorded it. */
export interface Application {
  event: number;
  delivery: string;
  payload: string;
}

/** What a delivery was told: its own commit, or a duplicate with the first delivery's result. */
export interface Report {
  status: 'committed' | 'duplicate';
  event: number;
  /** the delivery id in the result: its own when committed, the first delivery's on a duplicate */
  resultDelivery: string | undefined;
}

export interface DeadLetter {
  event: number;
  /** the reason the DLQ message carries (txonce.errorName), or the SQS redrive's "maxReceiveCount" */
  reason: string;
}

/** Everything the invariant looks at once the schedule has quiesced and the DLQ was redriven. */
export interface Observation {
  schedule: Schedule;
  source: string;
  applications: Application[];
  /** by event key: which outbox positions exist, and which delivery's commit wrote each */
  outbox: Record<string, (string | undefined)[]>;
  reports: Report[];
  deadLetters: DeadLetter[];
  /** protocol breaches seen on the wire (e.g. a token changed while an outcome was unknown) */
  wireViolations: string[];
  /** messages still pending when the run gave up waiting for quiescence */
  stranded: number;
}

interface Message {
  id: string;
  event: number;
  channel: Channel;
  receives: number;
  visibleAt: number;
  lastError?: string;
}

const MAX_ROUNDS = 40;
/**
 * Enough redrives for every schedule's finite fault budget at maxReceiveCount 2: up to 6
 * invocations that start no record (no time left: the batch margin's floor), 2 handler throws
 * and 4 wire faults can each cost a receive, 12 in all, and (1 + 6) x 2 receives cover them.
 */
const REDRIVES = 6;
const PERMANENT = new Set(['IdempotencyKeyReuseError', 'PermanentError']);

/** Runs one schedule against the real library and emulators and reports what it observed. */
export async function runSchedule(world: World, schedule: Schedule, faults: FaultCounts): Promise<Observation> {
  const run = new ScheduleRun(world, schedule, faults);
  world.hook = run.hook;
  try {
    return await run.execute();
  } finally {
    world.hook = undefined;
  }
}

class ScheduleRun {
  readonly source = `c${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  private readonly random: () => number;
  private readonly reports: Report[] = [];
  private readonly wireViolations: string[] = [];
  private readonly modelDeadLetters: (Message & { reason: string })[] = [];
  private pending: Message[] = [];
  private round = 0;
  private invocationCount = 0;
  private deliveryCount = 0;
  private readonly handlerCalls = new Map<number, number>();
  private readonly wireAttempts = new Map<string, number>();
  /** runId -> the token of its last attempt whose outcome is unknown */
  private readonly unknownTokens = new Map<string, string>();
  private deadLetterSends = 0;
  private deadLettersSent = 0;
  private readonly containers: Container[];

  constructor(
    private readonly world: World,
    private readonly schedule: Schedule,
    private readonly faults: FaultCounts,
  ) {
    this.random = mulberry32(schedule.shuffleSeed);
    this.containers = Array.from({ length: schedule.options.containers }, (_, index) => this.container(index));
  }

  readonly hook: CallHook = {
    dynamo: (name, input, wire, send) => (name === 'TransactWriteItems' ? this.transact(input, wire, send) : send()),
    deadLetterSend: async (send) => {
      const failing = this.schedule.deadLetterSendFails[this.deadLetterSends++];
      if (failing) {
        this.count('dlq-send-fails');
        throw Object.assign(new Error('SQS unavailable (fault injected)'), { name: 'ServiceUnavailable' });
      }
      const output = await send();
      this.deadLettersSent++;
      return output;
    },
  };

  async execute(): Promise<Observation> {
    let sequence = 0;
    for (const delivery of this.schedule.deliveries) {
      this.pending.push({
        id: `m${sequence++}-${randomUUID()}`,
        event: delivery.event,
        channel: delivery.channel,
        receives: 0,
        visibleAt: delivery.wave,
      });
    }
    await this.drain();
    // Redrive: what sits in the DLQ goes back to its queue; permanent failures come back to it.
    for (let redrive = 0; redrive < REDRIVES; redrive++) {
      const dead = await this.collectDeadLetters();
      if (dead.length === 0 || (redrive > 0 && dead.every((letter) => PERMANENT.has(letter.reason)))) {
        return this.observe(dead);
      }
      this.count('dlq-redrives');
      for (const letter of dead) {
        this.pending.push({
          id: `r${sequence++}-${randomUUID()}`,
          event: letter.event,
          channel: letter.channel,
          receives: 0,
          visibleAt: this.round,
        });
      }
      await this.drain();
    }
    return this.observe(await this.collectDeadLetters());
  }

  private count(kind: string): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
  }

  // ---- the world: containers, handlers, invocations ----

  private container(index: number): Container {
    const { options } = this.schedule;
    const client = this.world.dynamoClient(index, options.sdkAttempts);
    const store = new Idempotency({
      client,
      tableName: this.world.dedupTable,
      source: this.source,
      ttlSeconds: options.ttlSeconds,
      precheck: options.precheck,
      cache: options.cache,
      maxAttempts: options.maxAttempts,
      retryBaseDelayMs: 1,
      outboxTable: this.world.outboxTable,
    });
    let outcomesThisInvocation = 0;
    let invocation: InvocationHooks = { hookThrowsAt: null, onRecordStart: () => undefined };
    const batch = sqsBatchHandler<Result>({
      store,
      concurrency: options.concurrency,
      timeMarginMs: options.timeMarginMs,
      deadLetter: { client: this.world.sqs, queueUrl: this.world.dlqUrl },
      // the batch handler reads each record's key as it starts the record: time passes there
      key: (record) => {
        invocation.onRecordStart();
        return defaultSqsKey(record);
      },
      fingerprint: (record) => (JSON.parse(record.body) as Body).payload,
      handler: (record, tx) => this.work(tx, (JSON.parse(record.body) as Body).event),
      onOutcome: (outcome) => {
        const event = (JSON.parse(outcome.record.body) as Body).event;
        if (outcome.status === 'committed' || outcome.status === 'duplicate') {
          this.reports.push({ status: outcome.status, event, resultDelivery: outcome.result?.delivery });
        }
        if (outcomesThisInvocation++ === invocation.hookThrowsAt) {
          this.count('hook-throws');
          throw new Error('onOutcome hook failed (fault injected)');
        }
      },
    });
    const single = middy<MiddlewareEvent, unknown>().handler(
      idempotency<MiddlewareEvent, Result>(
        { store, key: (event) => event.key, fingerprint: (event) => event.payload },
        async (event, context) => this.work(context.tx, event.event),
      ),
    );
    return {
      batch: (records, context, hooks) => {
        outcomesThisInvocation = 0;
        invocation = hooks;
        return batch({ Records: records }, context);
      },
      single,
    };
  }

  /** The business handler: one effect per application, on a hot or cold entity, plus outbox emits. */
  private async work(tx: Tx, eventIndex: number): Promise<Result> {
    const event = this.schedule.events[eventIndex];
    const call = (this.handlerCalls.get(eventIndex) ?? 0) + 1;
    this.handlerCalls.set(eventIndex, call);
    const delivery = `d${++this.deliveryCount}`;
    // a small, seeded delay: copies of one event interleave differently from run to run
    if (this.random() < 0.5) await new Promise((resolve) => setTimeout(resolve, Math.floor(this.random() * 3)));
    if (this.schedule.handlerThrows[eventIndex]?.[call - 1]) {
      this.count('throw-before-commit');
      throw new Error('downstream timeout (fault injected before commit)');
    }
    if (event.poison) throw new PermanentError(`event ${eventIndex} can never be processed (fault injected)`);
    tx.update({
      TableName: this.world.businessTable,
      Key: { pk: `${this.source}#${event.entity}` },
      UpdateExpression: 'SET #log = list_append(if_not_exists(#log, :empty), :entry) ADD #total :one',
      ExpressionAttributeNames: { '#log': 'log', '#total': 'total' },
      ExpressionAttributeValues: {
        ':empty': [],
        ':entry': [{ event: eventIndex, delivery, payload: event.payload }],
        ':one': 1,
      },
    });
    for (let position = 0; position < this.schedule.options.emits; position++) {
      tx.emit({
        destination: { kind: 'sqs', queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/receipts' },
        type: 'checker.effect',
        payload: { event: eventIndex, delivery, position },
      });
    }
    return { event: eventIndex, delivery };
  }

  /** Lambda's event source mapping, round by round, until nothing is left to deliver. */
  private async drain(): Promise<void> {
    for (let rounds = 0; this.pending.length > 0 && rounds < MAX_ROUNDS; rounds++, this.round++) {
      const visible = this.pending.filter((message) => message.visibleAt <= this.round);
      this.pending = this.pending.filter((message) => message.visibleAt > this.round);
      const invocations = this.invocationsOf(visible);
      const byContainer = new Map<number, Invocation[]>();
      for (const invocation of invocations) {
        const list = byContainer.get(invocation.container) ?? [];
        list.push(invocation);
        byContainer.set(invocation.container, list);
      }
      // containers run at once; each runs its invocations one after another, as Lambda does
      await Promise.all(
        [...byContainer.values()].map(async (list) => {
          for (const invocation of list) await this.invoke(invocation);
        }),
      );
    }
  }

  private invocationsOf(visible: Message[]): Invocation[] {
    const { batchSize, containers } = this.schedule.options;
    const standard = shuffle(
      visible.filter((message) => message.channel === 'standard'),
      this.random,
    );
    const fifo = visible.filter((message) => message.channel === 'fifo');
    const batches: Message[][] = [];
    for (const list of [standard, fifo]) {
      for (let at = 0; at < list.length; at += batchSize) batches.push(list.slice(at, at + batchSize));
    }
    for (const message of visible) if (message.channel === 'middleware') batches.push([message]);
    return batches.map((messages) => {
      const number = this.invocationCount++;
      return { number, container: number % containers, messages };
    });
  }

  private async invoke({ number, container, messages }: Invocation): Promise<void> {
    const faults = this.schedule.invocations[number] ?? { deadlineAfter: null, hookThrowsAt: null, crash: false };
    const channel = messages[0].channel;
    const retry: Message[] = [];
    const dead: { message: Message; reason: string }[] = [];
    if (channel === 'middleware') {
      const [message] = messages;
      const event = this.schedule.events[message.event];
      const context = lambdaContext(() => 600_000) as IdempotentContext;
      try {
        const response = await this.containers[container].single(
          { key: event.key, event: message.event, payload: event.payload },
          context,
        );
        const status = (response as { statusCode?: number } | undefined)?.statusCode;
        if (status !== undefined && status >= 500) retry.push(message);
        else if (status !== undefined && status >= 400) dead.push({ message, reason: `HTTP ${status}` });
        else if (context.idempotencyStatus) {
          this.reports.push({
            status: context.idempotencyStatus,
            event: message.event,
            resultDelivery: (response as Result | undefined)?.delivery,
          });
        }
      } catch (error) {
        const { name, retryable } = (error ?? {}) as { name?: string; retryable?: boolean };
        message.lastError = name;
        // Lambda's on-failure destination stands in for the DLQ of a single-event function
        if (retryable === false) dead.push({ message, reason: String(name) });
        else retry.push(message);
      }
      if (faults.crash) {
        // the function timed out after its work: Lambda invokes it again with the same event
        this.count('lambda-crash');
        retry.splice(0, retry.length, message);
        dead.length = 0;
        this.restart(container);
      }
    } else {
      if (faults.deadlineAfter !== null) this.count('deadline-mid-batch');
      let started = 0;
      const records = messages.map((message) => this.sqsRecord(message));
      const context = lambdaContext(() =>
        faults.deadlineAfter !== null && started >= faults.deadlineAfter ? 0 : 600_000,
      );
      try {
        const response = await this.containers[container].batch(records, context, {
          hookThrowsAt: faults.hookThrowsAt,
          onRecordStart: () => started++,
        });
        if (faults.crash) throw new Error('the invocation timed out (fault injected)');
        const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
        for (const message of messages) if (failed.has(message.id)) retry.push(message);
      } catch {
        if (faults.crash) {
          this.count('lambda-crash');
          this.restart(container);
        }
        // the whole batch comes back: SQS saw no partial response
        retry.push(...messages);
      }
    }
    if (this.schedule.restarts.includes(number)) {
      this.count('container-restart');
      this.restart(container);
    }
    for (const message of retry) {
      message.receives++;
      message.visibleAt = this.round + 1;
      if (message.receives >= this.schedule.options.maxReceiveCount) {
        this.modelDeadLetters.push({ ...message, reason: 'maxReceiveCount' });
      } else this.pending.push(message);
    }
    for (const { message, reason } of dead) this.modelDeadLetters.push({ ...message, reason });
  }

  private restart(container: number): void {
    this.containers[container] = this.container(container);
  }

  private sqsRecord(message: Message): SQSRecord {
    const event = this.schedule.events[message.event];
    const fifo = message.channel === 'fifo';
    const record: SQSRecord = {
      messageId: message.id,
      receiptHandle: randomUUID(),
      body: JSON.stringify({ event: message.event, payload: event.payload, channel: message.channel } satisfies Body),
      attributes: {
        ApproximateReceiveCount: String(message.receives + 1),
        SentTimestamp: '0',
        SenderId: 'checker',
        ApproximateFirstReceiveTimestamp: '0',
        ...(fifo ? { MessageGroupId: event.entity, MessageDeduplicationId: message.id } : {}),
      },
      messageAttributes: { idempotencyKey: { dataType: 'String', stringValue: event.key } },
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:checker${fifo ? '.fifo' : ''}`,
      awsRegion: 'us-east-1',
    };
    return record;
  }

  // ---- DynamoDB as the wire sees it ----

  private async transact(
    input: Record<string, unknown>,
    wire: Record<string, unknown>,
    send: () => Promise<unknown>,
  ): Promise<unknown> {
    const items = input.TransactItems as { Put?: { Item?: Record<string, { S?: string }> } }[];
    const dedup = items[0]?.Put?.Item ?? {};
    const recordKeyText = dedup.pk?.S ?? '';
    const runId = dedup.runId?.S ?? '';
    // the token as DynamoDB receives it, whatever rewrote the request on its way out
    const token = String(wire.ClientRequestToken ?? input.ClientRequestToken);
    const key = recordKeyText.slice(this.source.length + 1);
    const unknown = this.unknownTokens.get(runId);
    if (unknown !== undefined && unknown !== token) {
      this.wireViolations.push(
        `key ${key}: an attempt whose outcome was unknown (token ${unknown}) was retried with token ${token}`,
      );
    }
    const attempt = (this.wireAttempts.get(key) ?? 0) + 1;
    this.wireAttempts.set(key, attempt);
    const fault = this.schedule.wireFaults[key]?.[attempt - 1] ?? 'none';
    if (fault !== 'none') this.count(fault);
    switch (fault) {
      case 'conflict':
      case 'throttle':
        this.unknownTokens.delete(runId);
        throw new TransactionCanceledException({
          message: `Transaction cancelled [${fault}] (fault injected)`,
          $metadata: { httpStatusCode: 400 },
          CancellationReasons: items.map((_, index) => ({
            Code: index > 0 ? 'None' : fault === 'conflict' ? 'TransactionConflict' : 'ThrottlingError',
          })),
        });
      case 'throughput-exceeded':
        this.unknownTokens.delete(runId);
        throw new ProvisionedThroughputExceededException({
          message: 'Throughput exceeded (fault injected)',
          $metadata: { httpStatusCode: 400 },
        });
      case 'in-progress':
        this.unknownTokens.set(runId, token);
        throw new TransactionInProgressException({
          message: 'Transaction is ongoing for the transaction token (fault injected)',
          $metadata: { httpStatusCode: 400 },
        });
      case 'lose-response': {
        await send().catch(() => undefined);
        this.unknownTokens.set(runId, token);
        throw Object.assign(new Error('socket hang up (fault injected after DynamoDB answered)'), {
          code: 'ECONNRESET',
        });
      }
      default:
        try {
          return await send();
        } finally {
          // a definite answer either way: applied, or cancelled with its reasons
          this.unknownTokens.delete(runId);
        }
    }
  }

  // ---- after quiescence ----

  private async collectDeadLetters(): Promise<(DeadLetter & { channel: Channel })[]> {
    const letters: (DeadLetter & { channel: Channel })[] = this.modelDeadLetters.splice(0).map((message) => ({
      event: message.event,
      channel: message.channel,
      reason: message.reason,
    }));
    while (this.deadLettersSent > 0) {
      const { Messages = [] } = await this.world.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.world.dlqUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          VisibilityTimeout: 60,
          WaitTimeSeconds: 0,
        }),
      );
      if (Messages.length === 0) break;
      this.deadLettersSent -= Messages.length;
      for (const message of Messages) {
        const body = JSON.parse(message.Body ?? '{}') as Body;
        letters.push({
          event: body.event,
          channel: body.channel,
          reason: readDeadLetterReason(message.MessageAttributes)?.errorName ?? '(no reason)',
        });
      }
      await this.world.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.world.dlqUrl,
          Entries: Messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle as string,
          })),
        }),
      );
    }
    return letters;
  }

  private async observe(deadLetters: DeadLetter[]): Promise<Observation> {
    const { events, options } = this.schedule;
    const entities = [...new Set(events.map((event) => `${this.source}#${event.entity}`))];
    const keys = [...new Set(events.map((event) => event.key))];
    const outboxIds = keys.flatMap((key) =>
      Array.from({ length: options.emits + 1 }, (_, position) =>
        outboxMessageId(recordKey(this.source, key), position),
      ),
    );
    const { [this.world.businessTable]: business, [this.world.outboxTable]: outboxItems } = await batchGet(
      this.world.reader,
      { [this.world.businessTable]: entities, [this.world.outboxTable]: outboxIds },
    );
    const applications = business.flatMap((item) => (item.log as Application[] | undefined) ?? []);
    const outbox: Record<string, (string | undefined)[]> = {};
    for (const key of keys) {
      outbox[key] = Array.from({ length: options.emits + 1 }, (_, position) => {
        const item = outboxItems.find((found) => found.pk === outboxMessageId(recordKey(this.source, key), position));
        return item ? (JSON.parse(String(item.payload)) as { delivery: string }).delivery : undefined;
      });
    }
    return {
      schedule: this.schedule,
      source: this.source,
      applications,
      outbox,
      reports: this.reports,
      deadLetters,
      wireViolations: this.wireViolations,
      stranded: this.pending.length,
    };
  }
}

interface Result {
  event: number;
  delivery: string;
}

interface Body {
  event: number;
  payload: string;
  channel: Channel;
}

interface MiddlewareEvent {
  key: string;
  event: number;
  payload: string;
}

interface Container {
  batch(
    records: SQSRecord[],
    context: Context,
    hooks: InvocationHooks,
  ): Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
  single(event: MiddlewareEvent, context: Context): Promise<unknown>;
}

interface InvocationHooks {
  hookThrowsAt: number | null;
  onRecordStart: () => void;
}

interface Invocation {
  number: number;
  container: number;
  messages: Message[];
}

function lambdaContext(remaining: () => number): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'checker',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:checker',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/checker',
    logStreamName: 'checker',
    getRemainingTimeInMillis: remaining,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Consistent reads of every `pk` listed per table (few: one schedule's keys), in one request when it can. */
async function batchGet(
  client: DynamoDBDocumentClient,
  pksByTable: Record<string, string[]>,
): Promise<Record<string, Record<string, unknown>[]>> {
  const found: Record<string, Record<string, unknown>[]> = Object.fromEntries(
    Object.keys(pksByTable).map((table) => [table, []]),
  );
  let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> = Object.fromEntries(
    Object.entries(pksByTable).map(([table, pks]) => [
      table,
      { Keys: pks.map((pk) => ({ pk })), ConsistentRead: true },
    ]),
  );
  while (Object.keys(request).length > 0) {
    const { Responses = {}, UnprocessedKeys = {} } = await client.send(new BatchGetCommand({ RequestItems: request }));
    for (const [table, items] of Object.entries(Responses)) found[table].push(...items);
    request = UnprocessedKeys as typeof request;
  }
  return found;
}
