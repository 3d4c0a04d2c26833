import type { Context, DynamoDBRecord, KinesisStreamRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  dynamodbStreamBatchHandler,
  Idempotency,
  type KinesisRecordOutcome,
  kinesisBatchHandler,
  kinesisJson,
  SchemaValidationError,
  type StreamRecordOutcome,
  streamImage,
  type Tx,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { createTable, getItem, localClient } from '../../support/dynamo.js';
import { instrument } from '../../support/faults.js';
import { dynamodbEvent, dynamodbRecords, kinesisEvent, kinesisRecords } from '../../support/stream-events.js';

const client = localClient();
const calls = instrument(client);
let store: Idempotency;
let ledger: string;

beforeAll(async () => {
  const [dedupTable, ledgerTable] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'ledger')]);
  ledger = ledgerTable;
  store = new Idempotency({ client, tableName: dedupTable, source: 'streams' });
});

interface Deposit {
  account: string;
  amount: number;
  poison?: boolean;
}

/** Adds the deposit to its account; a deposit marked poison fails (until `cured`). */
function depositor() {
  const seen: string[] = [];
  let cured = false;
  const apply = (deposit: Deposit, tx: Tx, label: string) => {
    seen.push(label);
    if (deposit.poison && !cured) throw new Error('ledger service unavailable');
    tx.update({
      TableName: ledger,
      Key: { pk: deposit.account },
      UpdateExpression: 'ADD balance :a',
      ExpressionAttributeValues: { ':a': deposit.amount },
    });
    return label;
  };
  return { apply, seen, cure: () => (cured = true) };
}

const balance = async (account: string) => (await getItem(client, ledger, account))?.balance;
const account = () => `acct-${Math.random().toString(36).slice(2, 10)}`;
const seqOf = (record: KinesisStreamRecord) => record.kinesis.sequenceNumber;

describe('kinesisBatchHandler', () => {
  it('runs the records of a shard in order, each in its own transaction, and reports no failure', async () => {
    const acct = account();
    const work = depositor();
    const handler = kinesisBatchHandler({
      store,
      handler: (record, tx) => work.apply(kinesisJson<Deposit>(record), tx, seqOf(record)),
    });
    const records = kinesisRecords([1, 2, 3, 4].map((amount) => ({ account: acct, amount })));

    calls.reset();
    const response = await handler(kinesisEvent(records), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [] });
    expect(work.seen).toEqual(records.map(seqOf));
    expect(calls.sent).toEqual({ TransactWriteItems: 4 });
    expect(await balance(acct)).toBe(10);
  });

  it('reports a poisoned record mid-shard as the one batch item failure, runs nothing after it, and resumes there', async () => {
    const acct = account();
    const work = depositor();
    const outcomes: KinesisRecordOutcome<string>[] = [];
    const handler = kinesisBatchHandler({
      store,
      handler: (record, tx) => work.apply(kinesisJson<Deposit>(record), tx, seqOf(record)),
      onOutcome: (outcome) => {
        outcomes.push(outcome);
      },
    });
    const records = kinesisRecords([
      { account: acct, amount: 1 },
      { account: acct, amount: 2 },
      { account: acct, amount: 4, poison: true },
      { account: acct, amount: 8 },
      { account: acct, amount: 16 },
    ]);

    const response = await handler(kinesisEvent(records), lambdaContext());

    // Lambda checkpoints before the reported record: the shard resumes at the poisoned one.
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: seqOf(records[2]) }] });
    expect(work.seen).toEqual(records.slice(0, 3).map(seqOf));
    expect(await balance(acct)).toBe(3);
    expect(outcomes.map((o) => (o.status === 'failed' ? o.reason : o.status))).toEqual([
      'committed',
      'committed',
      'error',
      'earlier-in-shard-failed',
      'earlier-in-shard-failed',
    ]);

    // Lambda redelivers from the checkpoint; once the cause is gone the shard catches up, in order.
    work.cure();
    outcomes.length = 0;
    const resumed = await handler(kinesisEvent(records.slice(2)), lambdaContext());
    expect(resumed).toEqual({ batchItemFailures: [] });
    expect(outcomes.map((o) => o.status)).toEqual(['committed', 'committed', 'committed']);
    expect(await balance(acct)).toBe(31);
  });

  it('answers a redelivered batch (a retry, or a bisected half) as duplicates: no write applies twice', async () => {
    const acct = account();
    const work = depositor();
    const handler = kinesisBatchHandler({
      store,
      handler: (record, tx) => work.apply(kinesisJson<Deposit>(record), tx, seqOf(record)),
    });
    const records = kinesisRecords([5, 6, 7].map((amount) => ({ account: acct, amount })));
    await handler(kinesisEvent(records), lambdaContext());

    const outcomes: string[] = [];
    const again = kinesisBatchHandler({
      store,
      handler: (record, tx) => work.apply(kinesisJson<Deposit>(record), tx, seqOf(record)),
      onOutcome: (outcome) => {
        outcomes.push(outcome.status);
      },
    });
    // the batch again, and its second half on its own, as bisect would send it
    expect(await again(kinesisEvent(records), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await again(kinesisEvent(records.slice(1)), lambdaContext())).toEqual({ batchItemFailures: [] });

    expect(outcomes).toEqual(Array(5).fill('duplicate'));
    expect(await balance(acct)).toBe(18);
  });

  it('keys records by eventID by default, and by the key function when given one', async () => {
    const acct = account();
    const work = depositor();
    // the producer retried a PutRecord: two stream records, one deposit
    const [first, retried] = kinesisRecords([
      { id: 'dep-1', account: acct, amount: 5 },
      { id: 'dep-1', account: acct, amount: 5 },
    ]);
    const byEventId = kinesisBatchHandler({
      store,
      handler: (record, tx) => work.apply(kinesisJson<Deposit>(record), tx, seqOf(record)),
    });
    const byDepositId = kinesisBatchHandler({
      store,
      key: (record) => `deposit:${kinesisJson<{ id: string }>(record).id}`,
      handler: (record, tx) => work.apply(kinesisJson<Deposit>(record), tx, seqOf(record)),
    });

    const outcomes: string[] = [];
    const hook = kinesisBatchHandler({
      store,
      key: (record) => `deposit:${kinesisJson<{ id: string }>(record).id}`,
      handler: () => 'never',
      onOutcome: (outcome) => {
        outcomes.push(outcome.key ?? '');
      },
    });

    await byDepositId(kinesisEvent([first, retried]), lambdaContext());
    expect(await balance(acct)).toBe(5);
    await byEventId(kinesisEvent([first, retried]), lambdaContext());
    expect(await balance(acct)).toBe(15); // eventIDs differ: both applied under their own keys
    await hook(kinesisEvent([first]), lambdaContext());
    expect(outcomes).toEqual(['deposit:dep-1']);
  });

  it('with a schema, hands the handler the parsed value; an invalid payload fails without running and is the checkpoint', async () => {
    const acct = account();
    const DepositSchema = z.object({ account: z.string(), amount: z.coerce.number().positive() });
    const parsed: { account: string; amount: number }[] = [];
    const outcomes: KinesisRecordOutcome<number>[] = [];
    const handler = kinesisBatchHandler({
      store,
      schema: DepositSchema,
      handler: (_record, tx, _context, deposit) => {
        parsed.push(deposit);
        tx.update({
          TableName: ledger,
          Key: { pk: deposit.account },
          UpdateExpression: 'ADD balance :a',
          ExpressionAttributeValues: { ':a': deposit.amount },
        });
        return deposit.amount;
      },
      onOutcome: (outcome) => {
        outcomes.push(outcome);
      },
    });
    const records = kinesisRecords([
      { account: acct, amount: '7' },
      { account: acct, amount: -1 },
      'not json',
      { account: acct, amount: 1 },
    ]);

    const response = await handler(kinesisEvent(records), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: seqOf(records[1]) }] });
    expect(parsed).toEqual([{ account: acct, amount: 7 }]);
    expect(await balance(acct)).toBe(7);
    const failed = outcomes[1];
    expect(failed.status).toBe('failed');
    const error = (failed as Extract<KinesisRecordOutcome<number>, { status: 'failed' }>).error;
    expect(error).toBeInstanceOf(SchemaValidationError);
    expect(error).toMatchObject({ name: 'SchemaValidationError', retryable: false, statusCode: 400 });
    expect((error as SchemaValidationError).issues).toEqual([{ message: expect.any(String), path: ['amount'] }]);

    // data that is not JSON is an invalid payload too, never a crash of the batch
    const [notJson] = records.slice(2);
    const alone = await handler(kinesisEvent([notJson]), lambdaContext());
    expect(alone).toEqual({ batchItemFailures: [{ itemIdentifier: seqOf(notJson) }] });
    expect((outcomes.at(-1) as { error: SchemaValidationError }).error.issues[0].message).toMatch(/could not be read/);
  });

  it('stops starting records near the timeout: the first one not started is the checkpoint', async () => {
    const acct = account();
    const work = depositor();
    const remaining = [30_000, 30_000, 1_000];
    let call = 0;
    const context: Context = {
      ...lambdaContext(),
      getRemainingTimeInMillis: () => remaining[Math.min(call++, remaining.length - 1)],
    };
    const reasons: string[] = [];
    const handler = kinesisBatchHandler({
      store,
      timeMarginMs: 5_000,
      handler: (record, tx) => work.apply(kinesisJson<Deposit>(record), tx, seqOf(record)),
      onOutcome: (outcome) => {
        reasons.push(outcome.status === 'failed' ? outcome.reason : outcome.status);
      },
    });
    const records = kinesisRecords([1, 2, 3].map((amount) => ({ account: acct, amount })));

    const response = await handler(kinesisEvent(records), context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: seqOf(records[1]) }] });
    expect(reasons).toEqual(['committed', 'time-budget', 'time-budget']);
    expect(await balance(acct)).toBe(1);
  });

  it('keeps a record committed when onOutcome throws: the hook is logged, the batch goes on', async () => {
    const acct = account();
    const work = depositor();
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const handler = kinesisBatchHandler({
      store,
      handler: (record, tx) => work.apply(kinesisJson<Deposit>(record), tx, seqOf(record)),
      onOutcome: () => {
        throw new Error('metrics down');
      },
    });
    const records = kinesisRecords([1, 2].map((amount) => ({ account: acct, amount })));

    expect(await handler(kinesisEvent(records), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await balance(acct)).toBe(3);
    expect(logged).toHaveBeenCalledTimes(2);
    logged.mockRestore();
  });

  it('checks its options at construction, and refuses an event that is not a Kinesis batch', async () => {
    expect(() => kinesisBatchHandler({ store, handler: () => 1, schema: {} as never })).toThrow(
      /kinesisBatchHandler\(\): `schema` must be a Standard Schema/,
    );
    expect(() => kinesisBatchHandler({ store, handler: 'nope' as never })).toThrow(TypeError);
    const handler = kinesisBatchHandler({ store, handler: () => 1 });
    await expect(handler({} as never, lambdaContext())).rejects.toThrow(/triggered by a Kinesis stream/);
  });
});

describe('dynamodbStreamBatchHandler', () => {
  type Change = StreamRecordOutcome<DynamoDBRecord, string>;
  const OrderSchema = z.object({ pk: z.string(), account: z.string(), amount: z.number().int() });

  function orderHandler(outcomes: Change[], work = depositor()) {
    return dynamodbStreamBatchHandler({
      store,
      schema: OrderSchema,
      handler: (record, tx, _context, order) => {
        const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
        return work.apply({ ...order, poison: order.amount === 13 }, tx, sequenceNumber);
      },
      onOutcome: (outcome) => {
        outcomes.push(outcome);
      },
    });
  }

  it('runs the changes in order on their NewImage, checkpoints at a poisoned one, and resumes there', async () => {
    const acct = account();
    const work = depositor();
    const outcomes: Change[] = [];
    const handler = orderHandler(outcomes, work);
    const records = dynamodbRecords(
      [1, 2, 13, 4].map((amount, i) => ({ pk: `order-${acct}-${i}`, account: acct, amount })),
    );

    const response = await handler(dynamodbEvent(records), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[2].dynamodb?.SequenceNumber }] });
    expect(work.seen).toEqual(records.slice(0, 3).map((r) => r.dynamodb?.SequenceNumber));
    expect(await balance(acct)).toBe(3);
    expect(outcomes.map((o) => o.key)).toEqual([records[0].eventID, records[1].eventID, records[2].eventID, undefined]);

    // the redelivered batch from the start: done ones are duplicates, the shard goes on from the cure
    work.cure();
    outcomes.length = 0;
    expect(await handler(dynamodbEvent(records), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(outcomes.map((o) => o.status)).toEqual(['duplicate', 'duplicate', 'committed', 'committed']);
    expect(await balance(acct)).toBe(20);
  });

  it('fails a change whose image does not match the schema, with the issues, and runs nothing after it', async () => {
    const acct = account();
    const outcomes: Change[] = [];
    const handler = orderHandler(outcomes);
    const records = dynamodbRecords([
      { pk: `order-${acct}-a`, account: acct, amount: 2 },
      { pk: `order-${acct}-b`, account: acct, amount: 'two' },
      { pk: `order-${acct}-c`, account: acct, amount: 3 },
    ]);

    const response = await handler(dynamodbEvent(records), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1].dynamodb?.SequenceNumber }] });
    expect(await balance(acct)).toBe(2);
    const failed = outcomes[1] as Extract<Change, { status: 'failed' }>;
    expect(failed.reason).toBe('error');
    expect((failed.error as SchemaValidationError).issues).toEqual([{ message: expect.any(String), path: ['amount'] }]);
    expect(outcomes[2]).toMatchObject({ status: 'failed', reason: 'earlier-in-shard-failed' });
  });

  it('reads images as plain objects', () => {
    const [record] = dynamodbRecords([{ pk: 'o-1', account: 'a', amount: 3 }]);
    expect(streamImage(record)).toEqual({ pk: 'o-1', account: 'a', amount: 3 });
    expect(streamImage(record, 'Keys')).toEqual({ pk: 'o-1' });
    expect(streamImage(record, 'OldImage')).toBeUndefined();
  });
});
