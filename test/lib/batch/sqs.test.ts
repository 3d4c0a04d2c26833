import type { SQSRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  defaultSqsKey,
  Idempotency,
  MissingIdempotencyKeyError,
  sqsBatchHandler,
  type Tx,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { createTable, getItem, localClient } from '../../support/dynamo.js';
import { instrument } from '../../support/faults.js';
import { sqsEvent, sqsRecord } from '../../support/sqs-events.js';

const client = localClient();
const calls = instrument(client);
let dedupTable: string;
let customers: string;
let store: Idempotency;

beforeAll(async () => {
  [dedupTable, customers] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'customers')]);
  store = new Idempotency({ client, tableName: dedupTable, source: 'queue' });
});

interface InvoicePaid {
  invoice: string;
  customer: string;
  amount: number;
  fail?: boolean;
}

/** Adds the invoice amount to the customer's total: exactly what a duplicate would double. */
function addInvoice(record: SQSRecord, tx: Tx) {
  const event = JSON.parse(record.body) as InvoicePaid;
  if (event.fail) throw new Error(`cannot process ${event.invoice}`);
  tx.update({
    TableName: customers,
    Key: { pk: event.customer },
    UpdateExpression: 'ADD paidTotal :amount',
    ExpressionAttributeValues: { ':amount': event.amount },
  });
  return { invoice: event.invoice };
}

const total = async (customer: string) => (await getItem(client, customers, customer))?.paidTotal;

describe('sqsBatchHandler', () => {
  it('commits each record in its own transaction and reports only the records that failed', async () => {
    const handler = sqsBatchHandler({ store, handler: addInvoice });
    await handler(
      sqsEvent([sqsRecord({ invoice: 'i0', customer: 'b1', amount: 1 }, { idempotencyKey: 'evt-i0' })]),
      lambdaContext(),
    );

    const failing = sqsRecord(
      { invoice: 'i4', customer: 'b1', amount: 1000, fail: true },
      { idempotencyKey: 'evt-i4' },
    );
    const batch = sqsEvent([
      sqsRecord({ invoice: 'i1', customer: 'b1', amount: 10 }, { idempotencyKey: 'evt-i1' }),
      sqsRecord({ invoice: 'i0', customer: 'b1', amount: 1 }, { idempotencyKey: 'evt-i0' }), // a repeat
      failing,
      sqsRecord({ invoice: 'i2', customer: 'b2', amount: 20 }, { idempotencyKey: 'evt-i2' }),
      sqsRecord({ invoice: 'i3', customer: 'b2', amount: 30 }, { idempotencyKey: 'evt-i3' }),
    ]);
    calls.reset();

    const response = await handler(batch, lambdaContext());

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: failing.messageId }] });
    expect(calls.sent).toEqual({ TransactWriteItems: 4 }); // one call per record that reached the commit
    expect(await total('b1')).toBe(11);
    expect(await total('b2')).toBe(50);
  });

  it('applies a batch redelivered in full (a timed-out invocation) only once', async () => {
    const handler = sqsBatchHandler({ store, handler: addInvoice });
    const batch = sqsEvent([
      sqsRecord({ invoice: 'r1', customer: 'redelivered', amount: 5 }),
      sqsRecord({ invoice: 'r2', customer: 'redelivered', amount: 7 }),
    ]);
    expect(await handler(batch, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await handler(batch, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await total('redelivered')).toBe(12);
  });

  it("uses the producer's idempotencyKey attribute, so the same event sent as two messages applies once", async () => {
    const handler = sqsBatchHandler({ store, handler: addInvoice });
    const event = { invoice: 'p1', customer: 'producer-key', amount: 9 };
    const response = await handler(
      sqsEvent([sqsRecord(event, { idempotencyKey: 'evt-p1' }), sqsRecord(event, { idempotencyKey: 'evt-p1' })]),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(await total('producer-key')).toBe(9);
  });

  it("falls back to the messageId, which cannot tell a producer's resend from a new event", async () => {
    const withoutKey = sqsRecord({}, { messageId: 'msg-1' });
    expect(defaultSqsKey(withoutKey)).toBe('msg-1');
    expect(defaultSqsKey(sqsRecord({}, { messageId: 'msg-2', idempotencyKey: 'evt-9' }))).toBe('evt-9');
    expect(() => defaultSqsKey(sqsRecord({}, { idempotencyKey: '' }))).toThrow(MissingIdempotencyKeyError);
  });

  it('reports a record whose key is unusable as failed, and still commits the rest', async () => {
    const handler = sqsBatchHandler({ store, handler: addInvoice });
    const keyless = sqsRecord({ invoice: 'k1', customer: 'keyless', amount: 1 }, { idempotencyKey: '' });
    const fine = sqsRecord({ invoice: 'k2', customer: 'keyless', amount: 2 });
    const response = await handler(sqsEvent([keyless, fine]), lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: keyless.messageId }]);
    expect(await total('keyless')).toBe(2);
  });

  it('retries only the failed record: on redelivery it commits and the others stay applied once', async () => {
    let broken = true;
    const handler = sqsBatchHandler({
      store,
      handler: (record, tx) => {
        if (broken && JSON.parse(record.body).invoice === 'f2') throw new Error('dependency down');
        return addInvoice(record, tx);
      },
    });
    const records = [
      sqsRecord({ invoice: 'f1', customer: 'flaky', amount: 1 }, { idempotencyKey: 'evt-f1' }),
      sqsRecord({ invoice: 'f2', customer: 'flaky', amount: 2 }, { idempotencyKey: 'evt-f2' }),
    ];
    const first = await handler(sqsEvent(records), lambdaContext());
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: records[1].messageId }]);
    expect(await total('flaky')).toBe(1);

    broken = false;
    // SQS redelivers the failed message (and here, as can happen, the committed one too)
    expect(await handler(sqsEvent(records), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await total('flaky')).toBe(3);
  });

  it('runs at most `concurrency` records at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const handler = sqsBatchHandler({
      store,
      concurrency: 3,
      handler: async (record, tx) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        return addInvoice(record, tx);
      },
    });
    const records = Array.from({ length: 10 }, (_, index) =>
      sqsRecord({ invoice: `c${index}`, customer: 'concurrent', amount: 1 }),
    );
    expect(await handler(sqsEvent(records), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(peak).toBe(3);
    expect(await total('concurrent')).toBe(10);
  });

  it('compares fingerprints when asked: a reused key with another body is reported as failed', async () => {
    const handler = sqsBatchHandler({ store, handler: addInvoice, fingerprint: (record) => JSON.parse(record.body) });
    await handler(
      sqsEvent([sqsRecord({ invoice: 'x1', customer: 'fp', amount: 1 }, { idempotencyKey: 'evt-x1' })]),
      lambdaContext(),
    );
    const reused = sqsRecord({ invoice: 'x1', customer: 'fp', amount: 100 }, { idempotencyKey: 'evt-x1' });
    expect(await handler(sqsEvent([reused]), lambdaContext())).toEqual({
      batchItemFailures: [{ itemIdentifier: reused.messageId }],
    });
    expect(await total('fp')).toBe(1);
  });

  it('refuses an event that is not from SQS, and bad options at construction', async () => {
    const handler = sqsBatchHandler({ store, handler: addInvoice });
    await expect(handler({} as never, lambdaContext())).rejects.toThrow(/no Records array/);
    expect(() => sqsBatchHandler({ store, handler: addInvoice, concurrency: 0 })).toThrow(/`concurrency`/);
    expect(() => sqsBatchHandler({ store, handler: undefined as never })).toThrow(/`handler` must be a function/);
  });
});
