import { beforeAll, describe, expect, it } from 'vitest';
import { Idempotency, ThrottlingError, TransactionConflictError } from '../../../lib/index.js';
import { createTable, getItem, localClient } from '../../support/dynamo.js';
import { type Fault, instrument } from '../../support/faults.js';

const setupClient = localClient();
let dedupTable: string;
let customers: string;

beforeAll(async () => {
  [dedupTable, customers] = await Promise.all([
    createTable(setupClient, 'dedup'),
    createTable(setupClient, 'customers'),
  ]);
});

/** A store on its own client whose TransactWriteItems attempts follow `faults` in order. */
function storeWithFaults(faults: Fault[], clientConfig = {}, storeOptions = {}) {
  const client = localClient(clientConfig);
  const calls = instrument(client, (attempt) => faults[attempt - 1] ?? 'none');
  const store = new Idempotency({
    client,
    tableName: dedupTable,
    source: 'faults',
    retryBaseDelayMs: 1,
    ...storeOptions,
  });
  return { store, calls };
}

function addToTotal(customer: string, amount: number) {
  return (tx: Parameters<Parameters<Idempotency['run']>[1]>[0]) => {
    tx.update({
      TableName: customers,
      Key: { pk: customer },
      UpdateExpression: 'ADD paidTotal :amount',
      ExpressionAttributeValues: { ':amount': amount },
    });
    return { customer };
  };
}

async function totalOf(customer: string) {
  return (await getItem(setupClient, customers, customer))?.paidTotal;
}

describe('a response lost after a successful commit', () => {
  it('is retried by the SDK with the same ClientRequestToken, and DynamoDB applies the writes once', async () => {
    const { store, calls } = storeWithFaults(['lose-response']);

    const outcome = await store.run({ key: 'lost-1' }, addToTotal('cus-lost-1', 7));

    expect(outcome).toEqual({ status: 'committed', result: { customer: 'cus-lost-1' } });
    expect(calls.sent.TransactWriteItems).toBe(2);
    expect(new Set(calls.tokens).size).toBe(1);
    expect(await totalOf('cus-lost-1')).toBe(7);
  });

  it("is recognised as this run's own commit even after DynamoDB has forgotten the token", async () => {
    const { store, calls } = storeWithFaults(['lose-response', 'forget-token']);

    const outcome = await store.run({ key: 'lost-2' }, addToTotal('cus-lost-2', 7));

    expect(outcome).toEqual({ status: 'committed', result: { customer: 'cus-lost-2' } });
    expect(calls.sent.TransactWriteItems).toBe(2);
    expect(await totalOf('cus-lost-2')).toBe(7);
  });

  it('surfaces as a retryable error when the SDK may not retry, and the redelivery is a duplicate', async () => {
    const { store } = storeWithFaults(['lose-response'], { maxAttempts: 1 });

    const lost = await store.run({ key: 'lost-3' }, addToTotal('cus-lost-3', 7)).catch((error) => error);
    expect(lost.code).toBe('ECONNRESET');

    const redelivered = await store.run({ key: 'lost-3' }, addToTotal('cus-lost-3', 7));
    expect(redelivered).toMatchObject({ status: 'duplicate', result: { customer: 'cus-lost-3' } });
    expect(await totalOf('cus-lost-3')).toBe(7);
  });

  it('uses a token unique to each run, so a later delivery of the same key is never mistaken for the commit', async () => {
    const { store, calls } = storeWithFaults([]);
    await store.run({ key: 'token-1' }, addToTotal('cus-token', 1));
    const second = await store.run({ key: 'token-1' }, addToTotal('cus-token', 1));

    expect(second.status).toBe('duplicate');
    expect(calls.tokens).toHaveLength(2);
    expect(calls.tokens[0]).not.toBe(calls.tokens[1]);
    expect(await totalOf('cus-token')).toBe(1);
  });
});

// Retries that go through, and the token each attempt carries: test/lib/store/conflict-tokens.test.ts.
describe('TransactionConflict', () => {
  it('gives up after maxAttempts with a retryable TransactionConflictError and writes nothing', async () => {
    const { store, calls } = storeWithFaults(Array(10).fill('conflict'), {}, { maxAttempts: 3 });

    const error = await store.run({ key: 'conflict-2' }, addToTotal('cus-conflict-2', 3)).catch((caught) => caught);

    expect(error).toBeInstanceOf(TransactionConflictError);
    expect(error.retryable).toBe(true);
    expect(error.attempts).toBe(3);
    expect(calls.tokens).toHaveLength(3);
    expect(await getItem(setupClient, dedupTable, 'faults#conflict-2')).toBeUndefined();
    expect(await totalOf('cus-conflict-2')).toBeUndefined();
  });
});

describe('throttling', () => {
  it('surfaces a transaction cancelled for throttling as a retryable ThrottlingError', async () => {
    const { store, calls } = storeWithFaults(['throttle']);

    const error = await store.run({ key: 'throttle-1' }, addToTotal('cus-throttle-1', 1)).catch((caught) => caught);

    expect(error).toBeInstanceOf(ThrottlingError);
    expect(error.retryable).toBe(true);
    expect(calls.tokens).toHaveLength(1);
    expect(await totalOf('cus-throttle-1')).toBeUndefined();
    // the event is simply delivered again
    const { store: healthy } = storeWithFaults([]);
    expect((await healthy.run({ key: 'throttle-1' }, addToTotal('cus-throttle-1', 1))).status).toBe('committed');
  });

  it('surfaces request throttling as a retryable ThrottlingError once the SDK has used its retries', async () => {
    const { store, calls } = storeWithFaults(Array(5).fill('throughput-exceeded'), { maxAttempts: 2 });

    const error = await store.run({ key: 'throttle-2' }, addToTotal('cus-throttle-2', 1)).catch((caught) => caught);

    expect(error).toBeInstanceOf(ThrottlingError);
    expect(error.cause.name).toBe('ProvisionedThroughputExceededException');
    expect(calls.tokens).toHaveLength(2);
    expect(await totalOf('cus-throttle-2')).toBeUndefined();
  });
});
