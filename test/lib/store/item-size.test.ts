import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { Idempotency, TransactionLimitError, type Tx } from '../../../lib/index.js';
import { createTable, localClient } from '../../support/dynamo.js';
import { instrument } from '../../support/faults.js';

// Sizes follow DynamoDB's published rules: names and strings by UTF-8 bytes, numbers by
// significant digits (about one byte per two, plus one), binaries by length, 1 byte for null and
// booleans, 3 bytes for a list or map plus 1 per element. The message of a refused item says the size.

const client = localClient();
const calls = instrument(client);
let dedupTable: string;
let items: string;
let store: Idempotency;

beforeAll(async () => {
  [dedupTable, items] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'items')]);
  store = new Idempotency({ client, tableName: dedupTable, source: 'L' });
});

async function rejection(key: string, work: (tx: Tx) => void) {
  return store.run({ key }, work).then(
    () => expect.unreachable('expected a refusal'),
    (error) => error,
  );
}

/** The size the refusal reports for an item over 400 KB that also holds `v: value`. */
async function reportedSizeWith(value: unknown): Promise<number> {
  // pk "p" (2 + 1) and blob (4 + 409600): 409607, already over the limit
  const error = await rejection('sized', (tx) => {
    tx.put({ TableName: items, Item: { pk: 'p', blob: 'x'.repeat(409600), v: value } });
  });
  expect(error).toBeInstanceOf(TransactionLimitError);
  const size = /is about (\d+) bytes/.exec(error.message)?.[1];
  return Number(size) - 409607;
}

describe('the size of an item, as a refusal reports it', () => {
  it.each([
    ['an undefined attribute, not counted at all', undefined, 0],
    ['null', null, 1 + 1],
    ['true', true, 1 + 1],
    ['false', false, 1 + 1],
    ['a string, in UTF-8 bytes', 'héllo', 1 + 6],
    ['a whole number', 12345, 1 + 4],
    ['zero', 0, 1 + 2],
    ['a number with trailing zeros', 100, 1 + 3],
    ['a negative fraction, leading zeros not significant', -0.00123, 1 + 3],
    ['a small fraction', 0.005, 1 + 2],
    ['a number with a decimal point', 1.5, 1 + 2],
    ['a number in exponent notation', 1e21, 1 + 2],
    ['a BigInt', 1234567n, 1 + 5],
    ['a NumberValue', NumberValue.from('123.45'), 1 + 4],
    ['a binary', new Uint8Array(10), 1 + 10],
    ['an ArrayBuffer', new ArrayBuffer(7), 1 + 7],
    ['a string set, by its members', new Set(['abc', 'de']), 1 + 5],
    ['a list: 3, plus 1 and the size of each element', ['ab', 1], 1 + 3 + (1 + 2) + (1 + 2)],
    ['a map: 3, plus each name and value, plus 1 per entry', { a: 'xy', b: null }, 1 + 3 + (1 + 2) + (1 + 1) + 2],
    ['a map with a member named "value"', { value: 'abcd' }, 1 + 3 + (5 + 4) + 1],
    [
      'a map without a prototype (Object.create(null)), with a member named "value"',
      Object.assign(Object.create(null), { value: 'abcd' }),
      1 + 3 + (5 + 4) + 1,
    ],
    ['an undefined list element, counted as a null', ['ab', undefined], 1 + 3 + (1 + 2) + (1 + 1)],
  ])('%s', async (_, value, bytes) => {
    expect(await reportedSizeWith(value)).toBe(bytes);
  });
});

describe('the size of a whole transaction', () => {
  it('counts the dedup record, every Item, Key and ExpressionAttributeValues, and says the total', async () => {
    calls.reset();
    const blob = 'x'.repeat(400_000);
    const error = await rejection('k', (tx) => {
      for (let index = 10; index < 15; index++) tx.put({ TableName: items, Item: { pk: `p${index}`, b: blob } });
      for (let index = 10; index < 16; index++) {
        tx.update({
          TableName: items,
          Key: { pk: `u${index}` },
          UpdateExpression: 'SET b = :b',
          ExpressionAttributeValues: { ':b': blob },
        });
      }
    });
    // the dedup record: pk "L#k" (2 + 3), firstSeenAt (11 + 24), runId (5 + 36)
    const dedup = 5 + 35 + 41;
    const put = 2 + 3 + 1 + 400_000;
    const update = 2 + 3 + 2 + 400_000;
    const total = dedup + 5 * put + 6 * update;
    expect(error.message).toMatch(
      new RegExp(`^Cannot commit: the transaction carries about ${total} bytes; DynamoDB accepts at most 4194304\\.`),
    );
    expect(calls.totalSent()).toBe(0);
  });

  it('lets a transaction of exactly 4 MB through to DynamoDB', async () => {
    calls.reset();
    // the dedup record (81 bytes) and 11 items of 381293 bytes: pk "pNN" (2 + 3), b (1 + 381287)
    const blob = 'x'.repeat(381_287);
    await store
      .run({ key: 'k' }, (tx) => {
        for (let index = 10; index < 21; index++) tx.put({ TableName: items, Item: { pk: `p${index}`, b: blob } });
      })
      .catch((error) => expect(error.message).not.toMatch(/^Cannot commit/));
    expect(calls.sent.TransactWriteItems).toBe(1);
  });
});
