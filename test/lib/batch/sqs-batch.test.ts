import type { DynamoDBRecord, KinesisStreamRecord, SQSRecord } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  defaultSqsKey,
  dynamodbStreamBatchHandler,
  type Idempotency,
  IdempotencyError,
  kinesisBatchHandler,
  MissingIdempotencyKeyError,
  PermanentError,
  type RecordOutcome,
  sqsBatchHandler,
  type Tx,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { type CounterFixture, localClient, storeWithCounters } from '../../support/dynamo.js';
import { sqsEvent, sqsRecord } from '../../support/sqs-events.js';
import { dynamodbEvent, dynamodbRecords, kinesisEvent, kinesisRecords } from '../../support/stream-events.js';

afterEach(() => vi.restoreAllMocks());

const dynamo = localClient();
let store: Idempotency;
let count: CounterFixture['count'];
let applied: CounterFixture['applied'];

beforeAll(async () => {
  ({ store, count, applied } = await storeWithCounters(dynamo, 'sqs-edges'));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const fifoArn = 'arn:aws:sqs:us-east-1:000000000000:events.fifo';
function fifo(body: object, group?: string): SQSRecord {
  const record = sqsRecord(body);
  record.eventSourceARN = fifoArn;
  if (group === undefined) delete (record as Partial<SQSRecord>).attributes;
  else record.attributes.MessageGroupId = group;
  return record;
}

/** A handler that logs when each record starts and ends, taking `ms` per record. */
function timed(ms: number) {
  const log: string[] = [];
  let inFlight = 0;
  let peak = 0;
  const handler = async (record: SQSRecord, tx: Tx) => {
    const { name } = JSON.parse(record.body) as { name: string };
    log.push(`start ${name}`);
    inFlight++;
    peak = Math.max(peak, inFlight);
    await sleep(ms);
    inFlight--;
    log.push(`end ${name}`);
    return count(record, tx);
  };
  return { handler, log, peak: () => peak };
}

describe('sqsBatchHandler: records as Lambda may hand them over', () => {
  it('answers an empty batch with no failures', async () => {
    const handler = sqsBatchHandler({ store, handler: count });
    expect(await handler(sqsEvent([]), lambdaContext())).toEqual({ batchItemFailures: [] });
  });

  it('says which trigger it expects when the event has no Records array', async () => {
    const handler = sqsBatchHandler({ store, handler: count });
    for (const event of [undefined, {}, { Records: 'x' }]) {
      await expect(handler(event as never, lambdaContext())).rejects.toThrow(
        new TypeError('sqsBatchHandler: the event has no Records array; is this function triggered by SQS?'),
      );
    }
  });

  it('runs records without attributes, message attributes or an eventSourceARN as a standard queue', async () => {
    const records = [{ counter: 'bare', transient: true }, { counter: 'bare' }, { counter: 'bare' }].map((body) => {
      const record = sqsRecord(body) as Partial<SQSRecord>;
      delete record.attributes;
      delete record.messageAttributes;
      delete record.eventSourceARN;
      return record as SQSRecord;
    });
    const keys: (string | undefined)[] = [];
    const handler = sqsBatchHandler({ store, handler: count, onOutcome: (outcome) => void keys.push(outcome.key) });
    // a standard queue keeps no order: a failure holds back nothing after it
    expect(await handler(sqsEvent(records), lambdaContext())).toEqual({
      batchItemFailures: [{ itemIdentifier: records[0].messageId }],
    });
    expect(await applied('bare')).toBe(2);
    expect(keys.sort()).toEqual(records.map((record) => record.messageId).sort());
  });

  it('reports failures in the order of the batch, not the order they finished', async () => {
    const handler = sqsBatchHandler({
      store,
      handler: async (record, tx) => {
        await sleep(JSON.parse(record.body).delay);
        return count(record, tx);
      },
    });
    const records = [
      sqsRecord({ counter: 'order', delay: 40, transient: true }),
      sqsRecord({ counter: 'order', delay: 0 }),
      sqsRecord({ counter: 'order', delay: 0, transient: true }),
    ];
    expect(await handler(sqsEvent(records), lambdaContext())).toEqual({
      batchItemFailures: [{ itemIdentifier: records[0].messageId }, { itemIdentifier: records[2].messageId }],
    });
  });
});

describe('sqsBatchHandler: concurrency', () => {
  it('runs up to 10 records of a standard queue at once by default', async () => {
    const { handler, peak } = timed(30);
    const run = sqsBatchHandler({ store, handler });
    const records = Array.from({ length: 12 }, (_, n) => sqsRecord({ counter: 'default-10', name: `r${n}` }));
    expect(await run(sqsEvent(records), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(peak()).toBe(10);
    expect(await applied('default-10')).toBe(12);
  });

  it('runs the records of a standard queue one by one with concurrency 1', async () => {
    const { handler, log } = timed(5);
    const run = sqsBatchHandler({ store, handler, concurrency: 1 });
    const records = ['a', 'b', 'c'].map((name) => sqsRecord({ counter: 'serial', name }));
    await run(sqsEvent(records), lambdaContext());
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});

describe('sqsBatchHandler: FIFO message groups', () => {
  it('runs each group in delivery order, one record after the other, and groups side by side', async () => {
    const { handler, log, peak } = timed(15);
    const run = sqsBatchHandler({ store, handler });
    const records = [
      fifo({ counter: 'fifo-order-A', name: 'a1' }, 'A'),
      fifo({ counter: 'fifo-order-B', name: 'b1' }, 'B'),
      fifo({ counter: 'fifo-order-A', name: 'a2' }, 'A'),
      fifo({ counter: 'fifo-order-A', name: 'a3' }, 'A'),
      fifo({ counter: 'fifo-order-B', name: 'b2' }, 'B'),
    ];
    expect(await run(sqsEvent(records), lambdaContext())).toEqual({ batchItemFailures: [] });
    const ofGroup = (prefix: string) => log.filter((entry) => entry.split(' ')[1].startsWith(prefix));
    expect(ofGroup('a')).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3']);
    expect(ofGroup('b')).toEqual(['start b1', 'end b1', 'start b2', 'end b2']);
    expect(peak()).toBe(2);
  });

  it('runs one group at a time with concurrency 1', async () => {
    const { handler, log } = timed(5);
    const run = sqsBatchHandler({ store, handler, concurrency: 1 });
    const records = [
      fifo({ counter: 'fifo-one-A', name: 'a1' }, 'A'),
      fifo({ counter: 'fifo-one-B', name: 'b1' }, 'B'),
      fifo({ counter: 'fifo-one-A', name: 'a2' }, 'A'),
    ];
    await run(sqsEvent(records), lambdaContext());
    expect(log).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start b1', 'end b1']);
  });

  it('treats FIFO records without attributes as one group: in order, and stopped at its first failure', async () => {
    const outcomes: RecordOutcome<unknown>[] = [];
    const run = sqsBatchHandler({ store, handler: count, onOutcome: (outcome) => void outcomes.push(outcome) });
    const records = [
      fifo({ counter: 'fifo-nogroup' }),
      fifo({ counter: 'fifo-nogroup', transient: true }),
      fifo({ counter: 'fifo-nogroup' }),
    ];
    const response = await run(sqsEvent(records), lambdaContext());
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: records[1].messageId },
      { itemIdentifier: records[2].messageId },
    ]);
    expect(outcomes.map((outcome) => [outcome.record.messageId, outcome.status])).toEqual([
      [records[0].messageId, 'committed'],
      [records[1].messageId, 'failed'],
      [records[2].messageId, 'failed'],
    ]);
    expect(outcomes[2]).toMatchObject({ reason: 'earlier-in-group-failed', key: undefined, error: undefined });
    expect(await applied('fifo-nogroup')).toBe(1);
  });

  it('goes on past a duplicate in a group: a repeat is done, not failed', async () => {
    const run = sqsBatchHandler({ store, handler: count });
    const first = fifo({ counter: 'fifo-dup' }, 'D');
    await run(sqsEvent([first]), lambdaContext());
    const next = fifo({ counter: 'fifo-dup' }, 'D');
    expect(await run(sqsEvent([first, next]), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await applied('fifo-dup')).toBe(2);
  });
});

describe('sqsBatchHandler: which failures are permanent', () => {
  it('reports, and does not dead-letter, a retryable txonce error', async () => {
    const sent: unknown[] = [];
    const outcomes: RecordOutcome<unknown>[] = [];
    const run = sqsBatchHandler({
      store,
      handler: () => {
        throw new IdempotencyError('try again', { retryable: true });
      },
      deadLetter: {
        client: { send: async (command: unknown) => void sent.push(command) } as never,
        queueUrl: 'https://sqs.example/dlq',
      },
      onOutcome: (outcome) => void outcomes.push(outcome),
    });
    const record = sqsRecord({ counter: 'retryable' });
    expect(await run(sqsEvent([record]), lambdaContext())).toEqual({
      batchItemFailures: [{ itemIdentifier: record.messageId }],
    });
    expect(outcomes[0]).toMatchObject({ status: 'failed', reason: 'error', key: record.messageId });
    expect(sent).toEqual([]);
  });

  it('names both errors when the DLQ send of a permanent failure fails', async () => {
    const sendError = new Error('DLQ unreachable');
    const outcomes: RecordOutcome<unknown>[] = [];
    const run = sqsBatchHandler({
      store,
      handler: () => {
        throw new PermanentError('never');
      },
      deadLetter: {
        client: {
          send: async () => {
            throw sendError;
          },
        } as never,
        queueUrl: 'https://sqs.example/dlq',
      },
      onOutcome: (outcome) => void outcomes.push(outcome),
    });
    const record = sqsRecord({ counter: 'dlq-down' });
    await run(sqsEvent([record]), lambdaContext());
    const { error } = outcomes[0] as { error: AggregateError };
    expect(error).toBeInstanceOf(AggregateError);
    expect(error.message).toBe('Could not send a permanently failing record to the DLQ');
    expect(error.errors[1]).toBe(sendError);
    expect(outcomes[0]).toMatchObject({ status: 'failed', reason: 'dead-letter-send-failed', key: record.messageId });
  });

  it('refuses no options at all by asking for the store first', () => {
    expect(() => sqsBatchHandler(undefined as never)).toThrow(
      new TypeError('sqsBatchHandler(): `store` must be an Idempotency instance.'),
    );
  });

  it('refuses a deadLetter of null, with a queueUrl that is not http(s), or a URL object instead of its text', () => {
    const client = { send: async () => ({}) };
    const create = (deadLetter: unknown) => () =>
      sqsBatchHandler({ store, handler: count, deadLetter: deadLetter as never });
    expect(create(null)).toThrow(
      new TypeError('sqsBatchHandler(): `deadLetter.client` must be an SQSClient (@aws-sdk/client-sqs).'),
    );
    expect(create({ client, queueUrl: 'ftp://sqs.example/dlq' })).toThrow(
      new TypeError('sqsBatchHandler(): `deadLetter.queueUrl` must be the DLQ\'s URL (got "ftp://sqs.example/dlq").'),
    );
    expect(create({ client })).toThrow(
      new TypeError("sqsBatchHandler(): `deadLetter.queueUrl` must be the DLQ's URL (got undefined)."),
    );
    expect(create({ client, queueUrl: new URL('https://sqs.example/dlq') })).toThrow(
      new TypeError(
        "sqsBatchHandler(): `deadLetter.queueUrl` must be the DLQ's URL (got a URL object; pass its .href).",
      ),
    );
    expect(create({ client, queueUrl: 'https://sqs.example/dlq' })).not.toThrow();
  });
});

describe('found by mutation testing: what a user reads when a batch goes wrong', () => {
  it('logs a throwing outcome hook under sqsBatchHandler, naming the message', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const hookError = new Error('metrics down');
    const run = sqsBatchHandler({
      store,
      handler: count,
      onOutcome: () => {
        throw hookError;
      },
    });
    const record = sqsRecord({ counter: 'hook-log' });
    expect(await run(sqsEvent([record]), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(logged.mock.calls).toEqual([
      [`sqsBatchHandler: onOutcome threw for message ${record.messageId}`, hookError],
    ]);
  });

  it('names itself when a timeMarginMs can never be met', async () => {
    const run = sqsBatchHandler({ store, handler: count, timeMarginMs: 5000 });
    await expect(run(sqsEvent([sqsRecord({ counter: 'margin' })]), lambdaContext(3000))).rejects.toThrow(
      /^sqsBatchHandler: `timeMarginMs` is 5000 ms but the invocation started with \d+ ms left/,
    );
  });

  it('refuses a deadLetter.queueUrl with text before its http(s) scheme', () => {
    const client = { send: async () => ({}) };
    expect(() =>
      sqsBatchHandler({
        store,
        handler: count,
        deadLetter: { client: client as never, queueUrl: 'dlq https://sqs.example/dlq' },
      }),
    ).toThrow(TypeError);
  });

  it('reports no key for a record whose key function returned neither a string nor a number', async () => {
    const outcomes: RecordOutcome<unknown>[] = [];
    const run = sqsBatchHandler({
      store,
      handler: count,
      key: () => ({ id: 42 }),
      onOutcome: (outcome) => void outcomes.push(outcome),
    });
    const record = sqsRecord({ counter: 'object-key' });
    expect(await run(sqsEvent([record]), lambdaContext())).toEqual({
      batchItemFailures: [{ itemIdentifier: record.messageId }],
    });
    expect(outcomes[0]).toMatchObject({ status: 'failed', reason: 'error', key: undefined });
    expect(outcomes[0].status === 'failed' && outcomes[0].error).toBeInstanceOf(MissingIdempotencyKeyError);
  });

  it('reports a numeric key as the decimal text its record is keyed by', async () => {
    const outcomes: RecordOutcome<unknown>[] = [];
    const run = sqsBatchHandler({
      store,
      handler: count,
      key: () => 4242,
      onOutcome: (outcome) => void outcomes.push(outcome),
    });
    const record = sqsRecord({ counter: 'numeric-key' });
    expect(await run(sqsEvent([record]), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(outcomes[0]).toMatchObject({ status: 'committed', key: '4242' });
  });

  it('refuses an idempotencyKey attribute that carries only binary data, naming the message', () => {
    const record = sqsRecord({ a: 1 }, { messageId: 'm-binary-key' });
    record.messageAttributes.idempotencyKey = { dataType: 'Binary', binaryValue: 'AQID' } as never;
    expect(() => defaultSqsKey(record)).toThrow(
      new MissingIdempotencyKeyError('message m-binary-key has an idempotencyKey attribute without a string value'),
    );
  });

  it('runs Kinesis and DynamoDB stream records that lack their kinesis / dynamodb part, keyed on the eventID', async () => {
    const [kinesis] = kinesisRecords([{ a: 1 }]) as Partial<KinesisStreamRecord>[];
    kinesis.eventID = `kinesis-bare-${Date.now()}`;
    delete kinesis.kinesis;
    const kinesisRun = kinesisBatchHandler({ store, handler: () => 'ok' });
    expect(await kinesisRun(kinesisEvent([kinesis as KinesisStreamRecord]), lambdaContext())).toEqual({
      batchItemFailures: [],
    });
    const [change] = dynamodbRecords([{ pk: 'ddb-bare' }]) as Partial<DynamoDBRecord>[];
    change.eventID = `ddb-bare-${Date.now()}`;
    delete change.dynamodb;
    const ddbRun = dynamodbStreamBatchHandler({ store, handler: () => 'ok' });
    expect(await ddbRun(dynamodbEvent([change as DynamoDBRecord]), lambdaContext())).toEqual({ batchItemFailures: [] });
  });
});
