import { beforeAll, describe, expect, it } from 'vitest';
import { BusinessConditionError, Idempotency, IdempotencyKeyReuseError } from '../../../lib/index.js';
import { createTable, getItem, localClient, scanAll } from '../../support/dynamo.js';
import { instrument } from '../../support/faults.js';

const client = localClient();
const calls = instrument(client);
let dedupTable: string;
let invoices: string;
let customers: string;
let store: Idempotency;

beforeAll(async () => {
  [dedupTable, invoices, customers] = await Promise.all([
    createTable(client, 'dedup'),
    createTable(client, 'invoices'),
    createTable(client, 'customers'),
  ]);
  store = new Idempotency({ client, tableName: dedupTable, source: 'billing' });
});

/** The example from DESIGN.md: an invoice put and an ADD that a duplicate would double. */
function payInvoice(invoice: string, customer: string, amount: number) {
  return store.run({ key: `evt_${invoice}`, fingerprint: { invoice, customer, amount } }, async (tx) => {
    tx.put({ TableName: invoices, Item: { pk: invoice, customer, amount, status: 'paid' } });
    tx.update({
      TableName: customers,
      Key: { pk: customer },
      UpdateExpression: 'ADD paidTotal :amount',
      ExpressionAttributeValues: { ':amount': amount },
    });
    return { invoice };
  });
}

describe('store.run', () => {
  it('commits the business writes and the dedup record in one DynamoDB call', async () => {
    calls.reset();
    const outcome = await payInvoice('inv-1', 'cus-1', 42);

    expect(outcome).toEqual({ status: 'committed', result: { invoice: 'inv-1' } });
    expect(calls.sent).toEqual({ TransactWriteItems: 1 });
    expect(await getItem(client, invoices, 'inv-1')).toMatchObject({ status: 'paid', amount: 42 });
    expect(await getItem(client, customers, 'cus-1')).toMatchObject({ paidTotal: 42 });
    const record = await getItem(client, dedupTable, 'billing#evt_inv-1');
    expect(record).toMatchObject({ result: JSON.stringify({ invoice: 'inv-1' }) });
    expect(record?.expiresAt).toBeUndefined();
  });

  it('detects a duplicate in one call and replays the stored result without applying the writes again', async () => {
    await payInvoice('inv-2', 'cus-2', 10);
    calls.reset();

    const again = await payInvoice('inv-2', 'cus-2', 10);

    expect(again).toMatchObject({ status: 'duplicate', result: { invoice: 'inv-2' }, resultOmitted: false });
    expect(again.status === 'duplicate' && Date.parse(again.firstSeenAt)).toBeGreaterThan(0);
    expect(calls.sent).toEqual({ TransactWriteItems: 1 });
    expect(await getItem(client, customers, 'cus-2')).toMatchObject({ paidTotal: 10 });
  });

  it('leaves nothing behind when the handler throws, so the event can be retried at once', async () => {
    calls.reset();
    await expect(
      store.run({ key: 'evt_throws' }, async (tx) => {
        tx.put({ TableName: invoices, Item: { pk: 'inv-throws' } });
        throw new Error('payment provider unavailable');
      }),
    ).rejects.toThrow('payment provider unavailable');

    expect(calls.totalSent()).toBe(0);
    expect(await getItem(client, dedupTable, 'billing#evt_throws')).toBeUndefined();
    expect(await getItem(client, invoices, 'inv-throws')).toBeUndefined();

    const retry = await store.run({ key: 'evt_throws' }, (tx) => {
      tx.put({ TableName: invoices, Item: { pk: 'inv-throws' } });
    });
    expect(retry.status).toBe('committed');
    expect(await getItem(client, invoices, 'inv-throws')).toBeDefined();
  });

  it('deduplicates a handler that returns nothing', async () => {
    const work = (tx: Parameters<Parameters<Idempotency['run']>[1]>[0]) => {
      tx.update({
        TableName: customers,
        Key: { pk: 'cus-void' },
        UpdateExpression: 'ADD visits :one',
        ExpressionAttributeValues: { ':one': 1 },
      });
    };
    const first = await store.run({ key: 'evt_void' }, work);
    const second = await store.run({ key: 'evt_void' }, work);

    expect(first).toEqual({ status: 'committed', result: undefined });
    expect(second).toMatchObject({ status: 'duplicate', result: undefined, resultOmitted: false });
    expect(await getItem(client, customers, 'cus-void')).toMatchObject({ visits: 1 });
  });

  it('reports a failed condition on a staged write as BusinessConditionError naming the write, and writes nothing', async () => {
    const error = await store
      .run({ key: 'evt_refund' }, (tx) => {
        tx.put({ TableName: invoices, Item: { pk: 'refund-1' } });
        tx.update({
          TableName: customers,
          Key: { pk: 'cus-missing' },
          UpdateExpression: 'ADD paidTotal :minus',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':minus': -5 },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        });
      })
      .catch((caught) => caught);

    expect(error).toBeInstanceOf(BusinessConditionError);
    expect(error.retryable).toBe(true); // a later delivery may find the condition met
    expect(error.write).toEqual({ index: 1, action: 'Update', tableName: customers, key: { pk: 'cus-missing' } });
    expect(error.message).toContain('staged write #1');
    expect(error.cause?.name).toBe('TransactionCanceledException');
    expect(await getItem(client, dedupTable, 'billing#evt_refund')).toBeUndefined();
    expect(await getItem(client, invoices, 'refund-1')).toBeUndefined();
  });

  it('returns the old item with a BusinessConditionError when the write asked for ALL_OLD', async () => {
    await store.run({ key: 'evt_seed_status' }, (tx) => {
      tx.put({ TableName: invoices, Item: { pk: 'inv-void', status: 'void' } });
    });
    const error = await store
      .run({ key: 'evt_pay_void' }, (tx) => {
        tx.update({
          TableName: invoices,
          Key: { pk: 'inv-void' },
          UpdateExpression: 'SET #status = :paid',
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':paid': 'paid', ':open': 'open' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        });
      })
      .catch((caught) => caught);

    expect(error).toBeInstanceOf(BusinessConditionError);
    expect(error.write.index).toBe(0);
    expect(error.item).toEqual({ pk: 'inv-void', status: 'void' });
  });

  it('treats a duplicate as a duplicate even when a staged condition would now fail too', async () => {
    const once = (tx: Parameters<Parameters<Idempotency['run']>[1]>[0]) => {
      tx.put({ TableName: invoices, Item: { pk: 'inv-once' }, ConditionExpression: 'attribute_not_exists(pk)' });
      return 'created';
    };
    expect(await store.run({ key: 'evt_once' }, once)).toEqual({ status: 'committed', result: 'created' });
    expect(await store.run({ key: 'evt_once' }, once)).toMatchObject({ status: 'duplicate', result: 'created' });
  });
});

describe('fingerprints', () => {
  it('treats the same key with the same payload in another key order as a duplicate', async () => {
    await store.run({ key: 'evt_fp', fingerprint: { a: 1, b: { c: [1, 2], d: 'x' } } }, () => 'ok');
    const again = await store.run({ key: 'evt_fp', fingerprint: { b: { d: 'x', c: [1, 2] }, a: 1 } }, () => 'ok');
    expect(again.status).toBe('duplicate');
  });

  it('rejects the same key with a different payload as IdempotencyKeyReuseError, writing nothing', async () => {
    await payInvoice('inv-fp', 'cus-fp', 5);
    const error = await store
      .run({ key: 'evt_inv-fp', fingerprint: { invoice: 'inv-fp', customer: 'cus-fp', amount: 500 } }, (tx) => {
        tx.update({
          TableName: customers,
          Key: { pk: 'cus-fp' },
          UpdateExpression: 'ADD paidTotal :amount',
          ExpressionAttributeValues: { ':amount': 500 },
        });
      })
      .catch((caught) => caught);

    expect(error).toBeInstanceOf(IdempotencyKeyReuseError);
    expect(error.retryable).toBe(false);
    expect(error.recordKey).toBe('billing#evt_inv-fp');
    expect(await getItem(client, customers, 'cus-fp')).toMatchObject({ paidTotal: 5 });
  });
});

describe('sources', () => {
  it('keeps the same key apart in two sources', async () => {
    const github = new Idempotency({ client, tableName: dedupTable, source: 'github' });
    const stripe = new Idempotency({ client, tableName: dedupTable, source: 'stripe' });
    expect((await github.run({ key: 'shared-id' }, () => 1)).status).toBe('committed');
    expect((await stripe.run({ key: 'shared-id' }, () => 2)).status).toBe('committed');
    const keys = (await scanAll(client, dedupTable)).map((item) => item.pk);
    expect(keys).toEqual(expect.arrayContaining(['github#shared-id', 'stripe#shared-id']));
  });
});
