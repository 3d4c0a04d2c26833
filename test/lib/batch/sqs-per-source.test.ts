import type { SQSRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  Idempotency,
  type SqsBatchHandler,
  sqsBatchHandler,
  sqsBatchHandlerPerSource,
  type Tx,
} from '../../../lib/index.js';
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

  describe('routing, with handlers that stand in for sqsBatchHandler', () => {
    /** A handler that reports the records it is given whose body says "fail", and remembers the ids it saw. */
    function fake(seen: string[]): SqsBatchHandler {
      return async (event) => {
        seen.push(...event.Records.map((record) => record.messageId));
        return {
          batchItemFailures: event.Records.filter((record) => record.body === '"fail"').map((record) => ({
            itemIdentifier: record.messageId,
          })),
        };
      };
    }

    it("passes each source's own failures on, with those of the records no handler serves", async () => {
      const seen: string[] = [];
      const handler = sqsBatchHandlerPerSource({ stripe: fake(seen), github: fake(seen) });
      const failing = fromSource('github', 'evt_f', 1);
      failing.body = '"fail"';
      const fine = fromSource('stripe', 'evt_ok', 1);
      const stray = fromSource('shopify', 'evt_s', 1);
      const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const response = await handler(sqsEvent([fine, failing, stray]), lambdaContext());
        expect(response.batchItemFailures).toEqual([
          { itemIdentifier: failing.messageId },
          { itemIdentifier: stray.messageId },
        ]);
        expect(seen.sort()).toEqual([fine.messageId, failing.messageId].sort());
        expect(error).toHaveBeenCalledTimes(1);
        expect(String(error.mock.calls[0][0])).toMatch(
          /1 records name no source this consumer serves \(shopify\); it serves stripe, github\. They are retried and then dead-lettered: give the consumer a handler for each of the pipeline's sources\./,
        );
      } finally {
        error.mockRestore();
      }
    });

    it('logs nothing when every record names a source it serves', async () => {
      const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const handler = sqsBatchHandlerPerSource({ stripe: fake([]) });
        const response = await handler(sqsEvent([fromSource('stripe', 'evt_q', 1)]), lambdaContext());
        expect(response.batchItemFailures).toEqual([]);
        expect(error).not.toHaveBeenCalled();
      } finally {
        error.mockRestore();
      }
    });

    it('takes an event without records (a console test event) or a handler that returns nothing as no failures', async () => {
      const quiet = sqsBatchHandlerPerSource({ stripe: (async () => undefined) as never });
      expect(await quiet({} as never, lambdaContext())).toEqual({ batchItemFailures: [] });
      expect(await quiet(undefined as never, lambdaContext())).toEqual({ batchItemFailures: [] });
      expect(await quiet(sqsEvent([fromSource('stripe', 'evt_v', 1)]), lambdaContext())).toEqual({
        batchItemFailures: [],
      });
      const empty = sqsBatchHandlerPerSource({ stripe: (async () => ({})) as never });
      expect(await empty(sqsEvent([fromSource('stripe', 'evt_w', 1)]), lambdaContext())).toEqual({
        batchItemFailures: [],
      });
    });

    it('reports a hand-built record without messageAttributes, or without a source, for redelivery, even beside a source named "undefined"', async () => {
      const seen: string[] = [];
      const handler = sqsBatchHandlerPerSource({ undefined: fake(seen) });
      const bare = fromSource(undefined, 'evt_b', 1);
      const noAttributes = { ...fromSource(undefined, 'evt_n', 1), messageAttributes: undefined } as never as SQSRecord;
      const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const response = await handler(sqsEvent([bare, noAttributes]), lambdaContext());
        expect(response.batchItemFailures).toEqual([
          { itemIdentifier: bare.messageId },
          { itemIdentifier: noAttributes.messageId },
        ]);
        expect(seen).toEqual([]);
        expect(String(error.mock.calls[0][0])).toMatch(/2 records name no source this consumer serves \(none\)/);
      } finally {
        error.mockRestore();
      }
    });
  });
});
