import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  dynamodbStreamBatchHandler,
  Idempotency,
  type IdempotencyOptions,
  kinesisBatchHandler,
  kinesisJson,
  type RecordOutcome,
  sqsBatchHandler,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { createTable, localClient, storeWithCounters } from '../../support/dynamo.js';
import { instrument } from '../../support/faults.js';
import { sqsEvent, sqsRecord } from '../../support/sqs-events.js';
import { dynamodbEvent, dynamodbRecords, kinesisEvent, kinesisRecords } from '../../support/stream-events.js';

// Cheaper duplicates: a batch's dedup records read in one BatchGetItem, eventually consistent by
// default, switched on and off by the duplicates seen ('auto'), and a floor under the time margin.

let dedupTable: string;
let counters: string;
let count: (record: SQSRecord, tx: import('../../../lib/index.js').Tx) => string;
let applied: (counter: string) => Promise<unknown>;

beforeAll(async () => {
  const fixture = await storeWithCounters(localClient(), 'precheck-batch');
  dedupTable = fixture.store.tableName;
  ({ counters, count, applied } = fixture);
});

/** A store on the shared tables with a client of its own, every request it sends counted. */
function countedStore(options: Partial<IdempotencyOptions> = {}) {
  const client = localClient();
  const sent = instrument(client);
  const store = new Idempotency({ client, tableName: dedupTable, source: `p${Math.random()}`, ...options });
  return { store, sent, client };
}

/** Captures the body of every BatchGetItem and GetItem request the client sends. */
function captureReads(client: DynamoDBDocumentClient) {
  const reads: { operation: string; input: Record<string, unknown> }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      if (operation === 'BatchGetItem' || operation === 'GetItem') {
        reads.push({ operation, input: args.input as Record<string, unknown> });
      }
      return next(args);
    },
    { step: 'initialize', name: `captureReads${Math.random()}` },
  );
  return reads;
}

describe('an SQS batch with precheck on', () => {
  it('reads the batch in one call: 10 records with 5 duplicates make 1 BatchGetItem and 5 transactions', async () => {
    const { store, sent } = countedStore({ precheck: true });
    const handler = sqsBatchHandler({ store, handler: count, concurrency: 1 });
    const keys = Array.from({ length: 5 }, (_, index) => `evt-${index}`);
    const first = keys.map((key) => sqsRecord({ counter: `c-${key}` }, { idempotencyKey: key }));
    await handler(sqsEvent(first), lambdaContext());
    sent.reset();

    const repeats = keys.map((key) => sqsRecord({ counter: `c-${key}` }, { idempotencyKey: key }));
    const fresh = Array.from({ length: 5 }, (_, index) =>
      sqsRecord({ counter: `c-new-${index}` }, { idempotencyKey: `new-${index}` }),
    );
    const statuses: string[] = [];
    const batch = sqsBatchHandler({
      store,
      handler: count,
      onOutcome: (outcome: RecordOutcome<string>) => {
        statuses.push(outcome.status);
      },
    });
    const response = await batch(sqsEvent([...repeats, ...fresh]), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(sent.sent).toEqual({ BatchGetItem: 1, TransactWriteItems: 5 });
    expect(statuses.filter((status) => status === 'duplicate')).toHaveLength(5);
    for (const key of keys) expect(await applied(`c-${key}`)).toBe(1);
    for (let index = 0; index < 5; index++) expect(await applied(`c-new-${index}`)).toBe(1);
  });

  it('replays the first result and refuses a reused key from what the batch read', async () => {
    const { store } = countedStore({ precheck: true });
    const fingerprint = (record: SQSRecord) => record.body;
    const first = sqsBatchHandler({ store, handler: count, fingerprint });
    await first(sqsEvent([sqsRecord({ counter: 'replayed' }, { idempotencyKey: 'k-replay' })]), lambdaContext());

    const outcomes: RecordOutcome<string>[] = [];
    const again = sqsBatchHandler({ store, handler: count, fingerprint, onOutcome: (o) => void outcomes.push(o) });
    await again(
      sqsEvent([
        sqsRecord({ counter: 'replayed' }, { idempotencyKey: 'k-replay' }),
        sqsRecord({ counter: 'other body' }, { idempotencyKey: 'k-replay' }),
      ]),
      lambdaContext(),
    );

    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['duplicate', 'failed']);
    const duplicate = outcomes.find((outcome) => outcome.status === 'duplicate');
    expect(duplicate && 'result' in duplicate && duplicate.result).toBe('replayed');
    const failed = outcomes.find((outcome) => outcome.status === 'failed');
    expect((failed as { error: Error }).error.name).toBe('IdempotencyKeyReuseError');
    expect(await applied('replayed')).toBe(1);
  });

  it('keeps FIFO order: a known duplicate counts as done and its group goes on, a failure still stops it', async () => {
    const { store } = countedStore({ precheck: true });
    const fifo = (body: unknown, key: string, group: string) => {
      const record = sqsRecord(body, { idempotencyKey: key });
      record.eventSourceARN = 'arn:aws:sqs:us-east-1:123456789012:events.fifo';
      record.attributes.MessageGroupId = group;
      return record;
    };
    const handler = sqsBatchHandler({ store, handler: count });
    await handler(sqsEvent([fifo({ counter: 'fifo-a' }, 'f1', 'g')]), lambdaContext());

    const order: string[] = [];
    const batch = sqsBatchHandler({
      store,
      handler: (record, tx) => {
        order.push(record.messageAttributes.idempotencyKey?.stringValue ?? '');
        return count(record, tx);
      },
    });
    const records = [
      fifo({ counter: 'fifo-a' }, 'f1', 'g'), // known duplicate: no handler
      fifo({ counter: 'fifo-b' }, 'f2', 'g'),
      fifo({ transient: true }, 'f3', 'g'),
      fifo({ counter: 'fifo-c' }, 'f4', 'g'), // after a failure in its group: not started
    ];
    const response = await batch(sqsEvent(records), lambdaContext());

    expect(order).toEqual(['f2', 'f3']);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([
      records[2].messageId,
      records[3].messageId,
    ]);
    expect([await applied('fifo-a'), await applied('fifo-b'), await applied('fifo-c')]).toEqual([1, 1, undefined]);
  });

  it('goes on without the precheck when BatchGetItem fails: every record through its transaction', async () => {
    const { store, client, sent } = countedStore({ precheck: true });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchGetItemCommand') throw new Error('connection reset (fault injected)');
        return next(args);
      },
      { step: 'initialize', name: 'failBatchGet' },
    );
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const handler = sqsBatchHandler({ store, handler: count });
    const response = await handler(
      sqsEvent([sqsRecord({ counter: 'no-precheck-a' }), sqsRecord({ counter: 'no-precheck-b' })]),
      lambdaContext(),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(sent.sent.TransactWriteItems).toBe(2);
    expect(await applied('no-precheck-a')).toBe(1);
    expect(warn.mock.calls[0][0]).toMatch(/batch precheck .* failed; the batch goes on without it/);
    warn.mockRestore();
  });
});

describe('stream batches with precheck on', () => {
  it('Kinesis: one read for the batch; duplicates skipped in order, the rest committed', async () => {
    const { store, sent } = countedStore({ precheck: true });
    const seen: string[] = [];
    const handler = kinesisBatchHandler({
      store,
      key: (record) => kinesisJson<{ id: string }>(record).id,
      handler: (record, tx) => {
        const { id } = kinesisJson<{ id: string }>(record);
        seen.push(id);
        tx.update({
          TableName: counters,
          Key: { pk: `kin-${id}` },
          UpdateExpression: 'ADD applied :one',
          ExpressionAttributeValues: { ':one': 1 },
        });
      },
    });
    await handler(kinesisEvent(kinesisRecords([{ id: 'k1' }, { id: 'k2' }])), lambdaContext());
    sent.reset();
    seen.length = 0;

    const response = await handler(
      kinesisEvent(kinesisRecords([{ id: 'k1' }, { id: 'k2' }, { id: 'k3' }])),
      lambdaContext(),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(sent.sent).toEqual({ BatchGetItem: 1, TransactWriteItems: 1 });
    expect(seen).toEqual(['k3']);
  });

  it('DynamoDB Streams: the same, one read for the batch', async () => {
    const { store, sent } = countedStore({ precheck: true });
    const handler = dynamodbStreamBatchHandler({ store, handler: () => undefined });
    const records = dynamodbRecords([{ pk: 'd1' }, { pk: 'd2' }]);
    await handler(dynamodbEvent(records), lambdaContext());
    sent.reset();

    await handler(dynamodbEvent(records), lambdaContext());

    expect(sent.sent).toEqual({ BatchGetItem: 1 });
  });
});

describe('the batch read itself', () => {
  it('asks for at most 100 keys a call, each key once, and retries the keys DynamoDB leaves unprocessed', async () => {
    const { store, client } = countedStore({ precheck: true });
    const reads = captureReads(client);
    let answered = 0;
    // DynamoDB Local never leaves keys unprocessed: the first answer is made to, as the service does under throttling
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const output = await next(args);
        if (context.commandName !== 'BatchGetItemCommand' || answered++ > 0) return output;
        const body = output.output as {
          Responses?: Record<string, unknown[]>;
          UnprocessedKeys?: Record<string, { Keys: unknown[] }>;
        };
        const input = args.input as { RequestItems: Record<string, { Keys: unknown[] }> };
        body.UnprocessedKeys = { [dedupTable]: { Keys: input.RequestItems[dedupTable].Keys.slice(0, 7) } };
        return output;
      },
      { step: 'initialize', name: 'leaveUnprocessed' },
    );
    const keys = Array.from({ length: 250 }, (_, index) => `bulk-${index}`);
    await store.run({ key: 'bulk-3' }, () => 'three');

    const prechecked = await store.precheckBatch([...keys, 'bulk-3', { not: 'a key' }, '']);

    const batchGets = reads.filter((read) => read.operation === 'BatchGetItem');
    const sizes = batchGets.map(
      (read) => (read.input.RequestItems as Record<string, { Keys: unknown[] }>)[dedupTable].Keys.length,
    );
    expect(sizes).toEqual([100, 7, 100, 50]);
    expect(prechecked?.records.size).toBe(250);
    expect(prechecked?.records.get(store.recordKey('bulk-3'))).toMatchObject({ result: '"three"' });
    expect(prechecked?.records.get(store.recordKey('bulk-4'))).toBeNull();
  });

  it('reads eventually consistent by default, strongly with precheckRead: "strong"', async () => {
    for (const [precheckRead, consistent] of [
      [undefined, false],
      ['strong', true],
    ] as const) {
      const { store, client } = countedStore({ precheck: true, precheckRead });
      const reads = captureReads(client);
      await store.run({ key: 'single' }, () => undefined);
      await store.precheckBatch(['single', 'other']);
      expect(reads.map((read) => [read.operation, read.input.ConsistentRead ?? read.input.RequestItems])).toEqual([
        ['GetItem', consistent],
        ['BatchGetItem', { [dedupTable]: { Keys: expect.any(Array), ConsistentRead: consistent } }],
      ]);
    }
  });

  it('refuses a precheck or precheckRead it does not know, naming what it takes', () => {
    const client = localClient();
    for (const precheck of [true, false, 'auto'] as const) {
      expect(new Idempotency({ client, tableName: 't', precheck }).prechecking).toBe(precheck === true);
    }
    expect(() => new Idempotency({ client, tableName: 't', precheck: 'yes' as never })).toThrow(
      'Idempotency: `precheck` must be true, false or "auto" (got "yes").',
    );
    expect(() => new Idempotency({ client, tableName: 't', precheckRead: 'consistent' as never })).toThrow(
      'Idempotency: `precheckRead` must be "eventual" or "strong" (got "consistent").',
    );
  });
});

describe("precheck: 'auto' (the default)", () => {
  it('reads nothing while duplicates are rare, turns on once they pass the break-even, and off when they stop', async () => {
    const { store, sent } = countedStore();
    expect(store.prechecking).toBe(false);
    const deliver = (key: string) => store.run({ key }, () => key);

    for (let index = 0; index < 30; index++) await deliver(`fresh-${index}`);
    expect(sent.sent).toEqual({ TransactWriteItems: 30 });

    // 3 duplicates in the last 33 deliveries: 9%, above 1.5x the break-even (~1.7% here)
    for (let index = 0; index < 3; index++) await deliver(`fresh-${index}`);
    expect(store.prechecking).toBe(true);
    sent.reset();
    const repeat = await deliver('fresh-10');
    expect(repeat.status).toBe('duplicate');
    expect(sent.sent).toEqual({ GetItem: 1 });

    // 100 fresh deliveries push the duplicates out of the window: below 0.75x the break-even, off again
    for (let index = 0; index < 100; index++) await deliver(`later-${index}`);
    expect(store.prechecking).toBe(false);
    sent.reset();
    await deliver('last');
    expect(sent.sent).toEqual({ TransactWriteItems: 1 });
  });

  it('weighs the commits it sees: with large transactions a lower share of duplicates already pays for the read', async () => {
    const { store } = countedStore();
    // each commit also writes a 3.5 KB item: about 8 write units, twice the 4 assumed before any commit
    const deliver = (key: string) =>
      store.run({ key }, (tx) => {
        tx.put({ TableName: dedupTable, Item: { pk: `large-${key}-${Math.random()}`, blob: 'x'.repeat(3500) } });
        return key;
      });
    for (let index = 0; index < 39; index++) await deliver(`large-${index}`);
    expect(store.prechecking).toBe(false);

    // 1 duplicate in 40 deliveries, 2.5%: above 1.5x the break-even of these commits (under 2%), below
    // that of the assumed size (3.75%)
    await deliver('large-0');
    expect(store.prechecking).toBe(true);
  });

  it('turns the batch precheck on for the batches that follow', async () => {
    const { store, sent } = countedStore();
    const handler = sqsBatchHandler({ store, handler: count });
    const batch = (prefix: string) =>
      Array.from({ length: 10 }, (_, index) =>
        sqsRecord({ counter: `auto-${prefix}-${index}` }, { idempotencyKey: `${prefix}-${index}` }),
      );
    const first = batch('a');
    await handler(sqsEvent(first), lambdaContext());
    await handler(sqsEvent(batch('b')), lambdaContext());
    await handler(sqsEvent(first), lambdaContext()); // 10 duplicates in 30: the read now pays
    expect(store.prechecking).toBe(true);
    sent.reset();

    await handler(sqsEvent([...first.slice(0, 5), ...batch('c').slice(0, 5)]), lambdaContext());

    expect(sent.sent).toEqual({ BatchGetItem: 1, TransactWriteItems: 5 });
    expect(await applied('auto-a-0')).toBe(1);
  });
});

describe('the floor under the time margin', () => {
  it('starts no record with less than 200 ms left, whatever the margin: they come back as time-budget failures', async () => {
    const store = new Idempotency({ client: localClient(), tableName: await createTable(localClient(), 'floor') });
    for (const timeMarginMs of [undefined, 0]) {
      const statuses: string[] = [];
      const handler = sqsBatchHandler({
        store,
        handler: count,
        timeMarginMs,
        onOutcome: (outcome: RecordOutcome<string>) => {
          statuses.push(outcome.status === 'failed' ? outcome.reason : outcome.status);
        },
      });
      const context: Context = { ...lambdaContext(), getRemainingTimeInMillis: () => 150 };
      const records = [sqsRecord({ counter: 'floor-a' }), sqsRecord({ counter: 'floor-b' })];

      const response = await handler(sqsEvent(records), context);

      expect(statuses).toEqual(['time-budget', 'time-budget']);
      expect(response.batchItemFailures).toHaveLength(2);
    }
    expect(await applied('floor-a')).toBeUndefined();
  });

  it('still starts records with just over the floor left', async () => {
    const store = new Idempotency({ client: localClient(), tableName: await createTable(localClient(), 'floor') });
    const handler = sqsBatchHandler({ store, handler: count, timeMarginMs: 0 });
    const context: Context = { ...lambdaContext(), getRemainingTimeInMillis: () => 200 };

    const response = await handler(sqsEvent([sqsRecord({ counter: 'floor-started' })]), context);

    expect(response.batchItemFailures).toEqual([]);
    expect(await applied('floor-started')).toBe(1);
  });
});
