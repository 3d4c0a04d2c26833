import type { SQSRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { Idempotency, sqsBatchHandler, sqsBatchHandlerPerSource, type Tx } from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { createTable, localClient, getItem as readItem } from '../../support/dynamo.js';
import { sqsEvent, sqsRecord } from '../../support/sqs-events.js';

// One consumer for a pipeline's several sources: each record runs under the store of the source
// its `source` attribute names, so each source keeps its own namespace ("<source>#<key>").

const client = localClient();
let dedupTable: string;
let customers: string;

beforeAll(async () => {
  [dedupTable, customers] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'customers')]);
});

function fromSource(source: string | undefined, key: string, amount: number): SQSRecord {
  const record = sqsRecord({ customer: 'c1', amount }, { idempotencyKey: key });
  if (source !== undefined) record.messageAttributes.source = { dataType: 'String', stringValue: source } as never;
  return record;
}

function handlerFor(source: string) {
  return sqsBatchHandler({
    store: new Idempotency({ client, tableName: dedupTable, source }),
    handler: (record: SQSRecord, tx: Tx) => {
      tx.update({
        TableName: customers,
        Key: { pk: 'c1' },
        UpdateExpression: 'ADD paidTotal :a',
        ExpressionAttributeValues: { ':a': JSON.parse(record.body).amount },
      });
    },
  });
}

describe('sqsBatchHandlerPerSource', () => {
  it("runs each record under its source's store: one key from two sources is two events, a repeat is one", async () => {
    const handler = sqsBatchHandlerPerSource({ stripe: handlerFor('stripe'), github: handlerFor('github') });
    const response = await handler(
      sqsEvent([
        fromSource('stripe', 'evt_1', 1),
        fromSource('github', 'evt_1', 10),
        fromSource('stripe', 'evt_1', 1), // a duplicate within its own source
      ]),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect((await readItem(client, customers, 'c1'))?.paidTotal).toBe(11);
    expect(await readItem(client, dedupTable, 'stripe#evt_1')).toBeDefined();
    expect(await readItem(client, dedupTable, 'github#evt_1')).toBeDefined();
  });

  it('reports a record of an unknown or missing source for redelivery (then the DLQ), and runs the rest', async () => {
    const handler = sqsBatchHandlerPerSource({ stripe: handlerFor('stripe') });
    const unknown = fromSource('shopify', 'evt_u', 100);
    const missing = fromSource(undefined, 'evt_m', 100);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(' '));
    try {
      const response = await handler(
        sqsEvent([unknown, fromSource('stripe', 'evt_2', 1000), missing]),
        lambdaContext(),
      );
      expect(response.batchItemFailures).toEqual([
        { itemIdentifier: unknown.messageId },
        { itemIdentifier: missing.messageId },
      ]);
    } finally {
      console.error = original;
    }
    expect(String(errors[0])).toMatch(
      /2 records name no source this consumer serves \(shopify, none\); it serves stripe/,
    );
    expect(await readItem(client, dedupTable, 'stripe#evt_2')).toBeDefined();
  });

  it('refuses no handlers, or a handler that is not a function', () => {
    expect(() => sqsBatchHandlerPerSource({})).toThrow(/give a handler per source/);
    expect(() => sqsBatchHandlerPerSource({ stripe: 'x' as never })).toThrow(/"stripe" must be a function/);
  });
});
