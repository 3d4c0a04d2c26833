import { beforeAll, describe, expect, it } from 'vitest';
import { Idempotency } from '../../../lib/index.js';
import { createTable, getItem, localClient } from '../../support/dynamo.js';

const client = localClient();
let dedupTable: string;
let customers: string;

beforeAll(async () => {
  [dedupTable, customers] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'customers')]);
});

describe('many concurrent deliveries of one key', () => {
  it('apply the effect exactly once, and exactly one of them reports committed', async () => {
    // generous conflict retries: this test is about the answer, not about contention giving up
    const store = new Idempotency({ client, tableName: dedupTable, source: 'race', maxAttempts: 12 });
    const deliveries = 60;

    const outcomes = await Promise.all(
      Array.from({ length: deliveries }, (_, delivery) =>
        store.run({ key: 'evt_race', fingerprint: { amount: 5 } }, async (tx) => {
          tx.update({
            TableName: customers,
            Key: { pk: 'cus-race' },
            UpdateExpression: 'ADD paidTotal :amount, deliveries :one',
            ExpressionAttributeValues: { ':amount': 5, ':one': 1 },
          });
          return { delivery };
        }),
      ),
    );

    const committed = outcomes.filter((outcome) => outcome.status === 'committed');
    expect(committed).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.status === 'duplicate')).toHaveLength(deliveries - 1);
    // every duplicate replays the winner's result
    for (const outcome of outcomes) expect(outcome.result).toEqual(committed[0].result);
    expect(await getItem(client, customers, 'cus-race')).toMatchObject({ paidTotal: 5, deliveries: 1 });
  });

  it('keep different keys that touch one item apart: after retries every key has applied exactly once', async () => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'race-many' });
    const keys = Array.from({ length: 20 }, (_, index) => `evt_${index}`);
    const addOne = (tx: Parameters<Parameters<Idempotency['run']>[1]>[0]) => {
      tx.update({
        TableName: customers,
        Key: { pk: 'cus-shared' },
        UpdateExpression: 'ADD paidTotal :one',
        ExpressionAttributeValues: { ':one': 1 },
      });
    };

    // every key delivered three times at once, as a flood of redeliveries would
    const wave = await Promise.allSettled(
      keys.flatMap((key) => [key, key, key]).map((key) => store.run({ key }, addOne)),
    );
    const commits = new Map<string, number>();
    const retry: string[] = [];
    wave.forEach((settled, index) => {
      const key = keys[Math.floor(index / 3)];
      if (settled.status === 'rejected') {
        expect(settled.reason.retryable).toBe(true); // contention only, never a wrong answer
        retry.push(key);
      } else if (settled.value.status === 'committed') {
        commits.set(key, (commits.get(key) ?? 0) + 1);
      }
    });
    // what failed is delivered again, one by one, as SQS would
    for (const key of retry) {
      const outcome = await store.run({ key }, addOne);
      if (outcome.status === 'committed') commits.set(key, (commits.get(key) ?? 0) + 1);
    }

    expect([...commits.keys()].sort()).toEqual([...keys].sort());
    expect([...commits.values()].every((count) => count === 1)).toBe(true);
    expect((await getItem(client, customers, 'cus-shared'))?.paidTotal).toBe(keys.length);
  });
});
