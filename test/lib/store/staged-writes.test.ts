import { beforeAll, describe, expect, it } from 'vitest';
import { Idempotency, TransactionLimitError, type Tx } from '../../../lib/index.js';
import { createTable, getItem, localClient } from '../../support/dynamo.js';
import { instrument } from '../../support/faults.js';

const client = localClient();
const calls = instrument(client);
let dedupTable: string;
let items: string;
let store: Idempotency;

beforeAll(async () => {
  [dedupTable, items] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'items')]);
  store = new Idempotency({ client, tableName: dedupTable, source: 'staged' });
});

/** What the work threw while staging, or what run() rejected with. */
async function refusal(key: string, work: (tx: Tx) => void): Promise<unknown> {
  return store.run({ key }, work).then(
    () => expect.unreachable('expected the run to be refused'),
    (error) => error,
  );
}

const limitError = (message: string) => new TransactionLimitError(message);

describe('a malformed staged write is refused with a message naming the method and what it needs', () => {
  it.each([
    ['put', (tx: Tx) => tx.put(null as never), 'tx.put() takes an object, like a TransactWriteCommand Put.'],
    ['update', (tx: Tx) => tx.update('x' as never), 'tx.update() takes an object, like a TransactWriteCommand Update.'],
    ['delete', (tx: Tx) => tx.delete([] as never), 'tx.delete() takes an object, like a TransactWriteCommand Delete.'],
    [
      'conditionCheck',
      (tx: Tx) => tx.conditionCheck(undefined as never),
      'tx.conditionCheck() takes an object, like a TransactWriteCommand ConditionCheck.',
    ],
  ])('tx.%s() of something that is not an object', async (_, stage, message) => {
    calls.reset();
    expect(await refusal(`not-object-${_}`, stage)).toEqual(limitError(message));
    expect(calls.totalSent()).toBe(0);
  });

  it('an empty or missing TableName', async () => {
    expect(await refusal('empty-table', (tx) => tx.delete({ TableName: '', Key: { pk: 'a' } }))).toEqual(
      limitError('tx.delete() needs a TableName, like a TransactWriteCommand Delete.'),
    );
    expect(
      await refusal('number-table', (tx) =>
        tx.update({ TableName: 7, Key: { pk: 'a' }, UpdateExpression: 'SET a = :a' } as never),
      ),
    ).toEqual(limitError('tx.update() needs a TableName, like a TransactWriteCommand Update.'));
  });

  it('a Key that is missing, null or an array', async () => {
    expect(await refusal('no-key', (tx) => tx.delete({ TableName: items } as never))).toEqual(
      limitError('tx.delete() needs a Key object, like a TransactWriteCommand Delete.'),
    );
    expect(
      await refusal('null-key', (tx) =>
        tx.conditionCheck({ TableName: items, Key: null, ConditionExpression: 'attribute_exists(pk)' } as never),
      ),
    ).toEqual(limitError('tx.conditionCheck() needs a Key object, like a TransactWriteCommand ConditionCheck.'));
    expect(
      await refusal('array-key', (tx) =>
        tx.update({ TableName: items, Key: ['pk'], UpdateExpression: 'SET a = :a' } as never),
      ),
    ).toEqual(limitError('tx.update() needs a Key object, like a TransactWriteCommand Update.'));
  });

  it('a Put whose Item is missing, null or an array', async () => {
    for (const Item of [undefined, null, ['pk']]) {
      expect(await refusal(`bad-item-${String(Item)}`, (tx) => tx.put({ TableName: items, Item } as never))).toEqual(
        limitError('tx.put() needs an Item object, like a TransactWriteCommand Put.'),
      );
    }
  });

  it('an Update without an UpdateExpression, a ConditionCheck without a ConditionExpression', async () => {
    expect(
      await refusal('no-update-expression', (tx) => tx.update({ TableName: items, Key: { pk: 'a' } } as never)),
    ).toEqual(limitError('tx.update() needs an UpdateExpression, like a TransactWriteCommand Update.'));
    expect(
      await refusal('no-condition', (tx) => tx.conditionCheck({ TableName: items, Key: { pk: 'a' } } as never)),
    ).toEqual(
      limitError('tx.conditionCheck() needs a ConditionExpression, like a TransactWriteCommand ConditionCheck.'),
    );
  });

  it('a Put needs no Key: its item names itself', async () => {
    const outcome = await store.run({ key: 'put-without-key' }, (tx) => {
      tx.put({ TableName: items, Item: { pk: 'put-without-key' } });
    });
    expect(outcome.status).toBe('committed');
    expect(await getItem(client, items, 'put-without-key')).toEqual({ pk: 'put-without-key' });
  });
});

describe('the 99-write limit', () => {
  it('says how many actions a transaction holds and how many writes that leaves', async () => {
    calls.reset();
    const error = await refusal('hundred-deletes', (tx) => {
      for (let index = 0; index < 100; index++) tx.delete({ TableName: items, Key: { pk: `d-${index}` } });
    });
    expect(error).toEqual(
      limitError(
        'A transaction holds at most 100 actions and the dedup record takes one, so a handler may stage at most 99 writes. Split the work across events.',
      ),
    );
    expect(calls.totalSent()).toBe(0);
  });

  it('counts every kind of write towards it', async () => {
    const stagers: ((tx: Tx, index: number) => void)[] = [
      (tx, index) => tx.put({ TableName: items, Item: { pk: `mp-${index}` } }),
      (tx, index) => tx.update({ TableName: items, Key: { pk: `mu-${index}` }, UpdateExpression: 'SET a = :a' }),
      (tx, index) => tx.delete({ TableName: items, Key: { pk: `md-${index}` } }),
      (tx, index) =>
        tx.conditionCheck({
          TableName: items,
          Key: { pk: `mc-${index}` },
          ConditionExpression: 'attribute_exists(pk)',
        }),
    ];
    let staged = 0;
    const error = await refusal('mixed-hundred', (tx) => {
      for (let index = 0; index < 100; index++) {
        stagers[index % 4](tx, index);
        staged++;
      }
    });
    expect(staged).toBe(99);
    expect((error as Error).message).toContain('at most 99 writes');
  });
});

describe('the 400 KB item limit, as a Put is staged', () => {
  // pk "p" (2 + 1 bytes) and the name "blob" (4 bytes): the blob fills the rest
  const blobOf = (itemBytes: number) => 'x'.repeat(itemBytes - 2 - 1 - 4);

  it('commits an item of exactly 409600 bytes, names and values counted', async () => {
    const outcome = await store.run({ key: 'exactly-400k' }, (tx) => {
      tx.put({ TableName: items, Item: { pk: 'p', blob: blobOf(409600) } });
    });
    expect(outcome.status).toBe('committed');
    expect(String((await getItem(client, items, 'p'))?.blob)).toHaveLength(409593);
  });

  it('refuses a byte more, naming the write, its table and its size, and what to do instead', async () => {
    calls.reset();
    const error = await refusal('one-byte-over', (tx) => {
      tx.delete({ TableName: items, Key: { pk: 'first' } });
      tx.put({ TableName: items, Item: { pk: 'q', blob: blobOf(409601) } });
    });
    expect(error).toEqual(
      limitError(
        `Staged Put #1 on ${items} is about 409601 bytes; DynamoDB items are at most 409600 bytes. Store large payloads elsewhere (e.g. S3) and keep a reference.`,
      ),
    );
    expect(calls.totalSent()).toBe(0);
  });
});

describe('writes staged after the work returned', () => {
  it.each([
    ['put', (tx: Tx) => tx.put({ TableName: items, Item: { pk: 'late' } })],
    ['update', (tx: Tx) => tx.update({ TableName: items, Key: { pk: 'late' }, UpdateExpression: 'SET a = :a' })],
    ['delete', (tx: Tx) => tx.delete({ TableName: items, Key: { pk: 'late' } })],
    [
      'conditionCheck',
      (tx: Tx) =>
        tx.conditionCheck({ TableName: items, Key: { pk: 'late' }, ConditionExpression: 'attribute_exists(pk)' }),
    ],
  ])('tx.%s() says the transaction is already being committed and to await every write', async (method, stage) => {
    let late: Tx | undefined;
    await store.run({ key: `late-${method}` }, (tx) => {
      late = tx;
    });
    expect(() => stage(late as Tx)).toThrow(
      limitError(
        `tx.${method}() was called after the work returned; the transaction is already being committed. Await every write before the handler returns.`,
      ),
    );
  });

  it('a write staged by work that forgot to await is refused, and the committed transaction lacks it', async () => {
    let lateError: unknown;
    const outcome = await store.run({ key: 'forgot-await' }, (tx) => {
      tx.put({ TableName: items, Item: { pk: 'awaited' } });
      setTimeout(() => {
        try {
          tx.put({ TableName: items, Item: { pk: 'not-awaited' } });
        } catch (error) {
          lateError = error;
        }
      }, 0);
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(outcome.status).toBe('committed');
    expect(lateError).toBeInstanceOf(TransactionLimitError);
    expect(await getItem(client, items, 'awaited')).toBeDefined();
    expect(await getItem(client, items, 'not-awaited')).toBeUndefined();
  });
});

describe('tx.emit() without an outbox table', () => {
  it('says which option to set', async () => {
    expect(
      await refusal('emit-without-outbox', (tx) => {
        tx.emit({ destination: { kind: 'sqs', queueUrl: 'https://sqs.example/q' }, payload: {} } as never);
      }),
    ).toEqual(new TypeError('tx.emit() needs an outbox table: new Idempotency({ ..., outboxTable }).'));
  });
});
