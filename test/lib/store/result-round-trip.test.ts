import { beforeAll, describe, expect, it } from 'vitest';
import { Idempotency, TransactionLimitError, UnstorableResultError } from '../../../lib/index.js';
import { createTable, getItem, localClient } from '../../support/dynamo.js';

// A duplicate gets the first delivery's result back from JSON. A result JSON would change (a
// Map replays as {}) or cannot encode (a BigInt) is refused on the first delivery, before
// anything is written, so no duplicate is ever handed different data than the first caller got.

const client = localClient();
let store: Idempotency;
let dedupTable: string;
let customers: string;

beforeAll(async () => {
  [dedupTable, customers] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'customers')]);
  store = new Idempotency({ client, tableName: dedupTable, source: 'results' });
});

const says = (detail: string) =>
  `The handler's result cannot be stored for duplicates to replay: ${detail}. Nothing was written. ` +
  'Return JSON data (plain objects, arrays, strings, numbers, booleans, null; a Map as Object.fromEntries(map), a BigInt as a string).';

describe('a result that would not come back the same from JSON', () => {
  it.each([
    ['a BigInt', () => ({ amount: 10n }), 'it holds a BigInt, which JSON cannot encode'],
    ['a Map', () => new Map([['cus_1', 1250]]), 'it holds a Map, whose entries JSON does not see'],
    ['a Set inside an array', () => [new Set(['inv_1'])], 'it holds a Set, whose entries JSON does not see'],
    [
      'undefined in an array',
      () => ({ lines: [1, undefined] }),
      'it holds undefined in an array, which JSON turns into null',
    ],
    ['a function', () => ({ total: () => 1250 }), 'it holds a function'],
    ['a symbol', () => ({ status: Symbol('paid') }), 'it holds a symbol'],
    [
      'a cycle',
      () => {
        const invoice: Record<string, unknown> = { id: 'inv_1' };
        invoice.self = invoice;
        return invoice;
      },
      'it holds a cycle',
    ],
    [
      'a toJSON that throws',
      () => ({
        toJSON: () => {
          throw new Error('boom');
        },
      }),
      'its toJSON threw (boom)',
    ],
    [
      'a toJSON that throws a TypeError',
      () => ({
        toJSON: () => {
          throw new TypeError('amount is not a number');
        },
      }),
      'its toJSON threw (amount is not a number)',
    ],
    [
      'a toJSON that throws undefined',
      () => ({
        toJSON: () => {
          throw undefined;
        },
      }),
      'its toJSON threw (undefined)',
    ],
  ])(
    '%s: refused with UnstorableResultError, and neither the record nor the writes commit',
    async (_what, result, detail) => {
      const key = `refused-${_what.replaceAll(' ', '-')}`;
      const error = await store
        .run({ key }, (tx) => {
          tx.put({ TableName: customers, Item: { pk: key } });
          return result();
        })
        .then(
          () => expect.unreachable('expected a refusal'),
          (error: Error) => error,
        );
      expect(error).toBeInstanceOf(UnstorableResultError);
      expect(error).not.toBeInstanceOf(TransactionLimitError);
      expect(error).toMatchObject({ name: 'UnstorableResultError', retryable: false, message: says(detail) });
      expect(await getItem(client, dedupTable, `results#${key}`)).toBeUndefined();
      expect(await getItem(client, customers, key)).toBeUndefined();
    },
  );

  it('what JSON gives back faithfully commits: a Date as its toJSON string, undefined members left out', async () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    const result = { at, note: undefined, lines: [1, null] };
    expect(await store.run({ key: 'faithful' }, () => result)).toEqual({ status: 'committed', result });
    expect(await store.run({ key: 'faithful' }, () => 'again')).toMatchObject({
      status: 'duplicate',
      result: { at: at.toISOString(), lines: [1, null] },
    });
  });
});
