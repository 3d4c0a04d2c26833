import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Idempotency,
  MissingIdempotencyKeyError,
  TransactionLimitError,
  type Tx,
  UnstorableResultError,
} from '../../../lib/index.js';
import { checkTransaction } from '../../../lib/store/limits.js';
import { createTable, getItem, localClient, scanAll } from '../../support/dynamo.js';
import { instrument } from '../../support/faults.js';

const client = localClient();
const calls = instrument(client);
let dedupTable: string;
let items: string;
let store: Idempotency;

beforeAll(async () => {
  [dedupTable, items] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'items')]);
  store = new Idempotency({ client, tableName: dedupTable, source: 'limits' });
});

async function failure(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error) => error,
  );
}

describe('transaction limits, checked before the network', () => {
  it('accepts 99 staged writes: with the dedup record that is the 100 DynamoDB allows', async () => {
    const outcome = await store.run({ key: 'ninety-nine' }, (tx) => {
      for (let index = 0; index < 99; index++) tx.put({ TableName: items, Item: { pk: `n99-${index}` } });
    });
    expect(outcome.status).toBe('committed');
    expect((await scanAll(client, items)).filter((item) => String(item.pk).startsWith('n99-'))).toHaveLength(99);
  });

  it('refuses the 100th staged write with a TransactionLimitError and sends nothing', async () => {
    calls.reset();
    const error = await failure(
      store.run({ key: 'hundred' }, (tx) => {
        for (let index = 0; index < 100; index++) tx.put({ TableName: items, Item: { pk: `n100-${index}` } });
      }),
    );
    expect(error).toBeInstanceOf(TransactionLimitError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/at most 99 writes/);
    expect(calls.totalSent()).toBe(0);
  });

  it('refuses a transaction over 4 MB before sending it', async () => {
    calls.reset();
    const blob = 'x'.repeat(390 * 1024);
    const error = await failure(
      store.run({ key: 'too-big' }, (tx) => {
        for (let index = 0; index < 11; index++) tx.put({ TableName: items, Item: { pk: `big-${index}`, blob } });
      }),
    );
    expect(error).toBeInstanceOf(TransactionLimitError);
    expect(error.message).toMatch(/at most 4194304/);
    expect(calls.totalSent()).toBe(0);
    expect(await getItem(client, dedupTable, 'limits#too-big')).toBeUndefined();
  });

  it('refuses a single item over 400 KB as it is staged', async () => {
    const error = await failure(
      store.run({ key: 'item-too-big' }, (tx) => {
        tx.put({ TableName: items, Item: { pk: 'huge', blob: 'x'.repeat(401 * 1024) } });
      }),
    );
    expect(error).toBeInstanceOf(TransactionLimitError);
    expect(error.message).toMatch(/Put #0 .* at most 409600 bytes/);
  });

  it('refuses two actions on one item before sending, naming both', async () => {
    calls.reset();
    const error = await failure(
      store.run({ key: 'same-item' }, (tx) => {
        tx.update({
          TableName: items,
          Key: { pk: 'twice' },
          UpdateExpression: 'SET a = :a',
          ExpressionAttributeValues: { ':a': 1 },
        });
        tx.put({ TableName: items, Item: { pk: 'twice', b: 2 } });
      }),
    );
    expect(error).toBeInstanceOf(TransactionLimitError);
    expect(error.message).toContain('two actions target the same item');
    expect(error.message).toContain('staged write #0, Update');
    expect(error.message).toContain('staged write #1, Put');
    expect(calls.totalSent()).toBe(0);
  });

  it('refuses a staged write to the dedup record itself', async () => {
    const error = await failure(
      store.run({ key: 'self' }, (tx) => {
        tx.delete({ TableName: dedupTable, Key: { pk: 'limits#self' } });
      }),
    );
    expect(error).toBeInstanceOf(TransactionLimitError);
    expect(error.message).toContain('the dedup record and staged write #0');
  });

  it("maps DynamoDB's own one-item check to the same error when only Puts name the item", async () => {
    const error = await failure(
      store.run({ key: 'two-puts' }, (tx) => {
        tx.put({ TableName: items, Item: { pk: 'two-puts', v: 1 } });
        tx.put({ TableName: items, Item: { pk: 'two-puts', v: 2 } });
      }),
    );
    expect(error).toBeInstanceOf(TransactionLimitError);
    expect(error.cause.name).toBe('ValidationException');
    expect(await getItem(client, items, 'two-puts')).toBeUndefined();
    expect(await getItem(client, dedupTable, 'limits#two-puts')).toBeUndefined();
  });

  it('refuses malformed staged writes with a message that says what is missing', async () => {
    const malformed: [string, (tx: Tx) => void, RegExp][] = [
      ['put without TableName', (tx) => tx.put({ Item: { pk: 'a' } } as never), /tx\.put\(\) needs a TableName/],
      ['put without Item', (tx) => tx.put({ TableName: items } as never), /tx\.put\(\) needs an Item object/],
      [
        'update without Key',
        (tx) => tx.update({ TableName: items, UpdateExpression: 'SET a = :a' } as never),
        /needs a Key/,
      ],
      [
        'conditionCheck without condition',
        (tx) => tx.conditionCheck({ TableName: items, Key: { pk: 'a' } } as never),
        /needs a ConditionExpression/,
      ],
    ];
    for (const [what, stage, message] of malformed) {
      const error = await failure(store.run({ key: `malformed-${what}` }, stage));
      expect(error, what).toBeInstanceOf(TransactionLimitError);
      expect(error.message, what).toMatch(message);
    }
  });

  it('refuses writes staged after the work has returned', async () => {
    let late: Tx | undefined;
    await store.run({ key: 'late' }, (tx) => {
      late = tx;
    });
    expect(() => late?.put({ TableName: items, Item: { pk: 'late' } })).toThrow(/after the work returned/);
  });
});

describe('what a transaction bills', () => {
  it('counts 2 write units per action and started KB: of the item for a Put, of the key and values otherwise', () => {
    const put = { TableName: 'items', Item: { pk: 'p', blob: 'x'.repeat(3500) } };
    const update = { TableName: 'items', Key: { pk: 'u' }, ExpressionAttributeValues: { ':n': 1 } };
    expect(checkTransaction([put], {})).toEqual({ ok: true, writeUnits: 8 });
    expect(checkTransaction([put, update], {})).toEqual({ ok: true, writeUnits: 10 });
  });
});

describe('idempotency keys', () => {
  it.each([
    ['an empty string', ''],
    ['undefined', undefined],
    ['null', null],
    ['NaN', Number.NaN],
    ['an object', { id: 'evt' }],
  ])('refuses %s as a key with MissingIdempotencyKeyError before running the work', async (_, key) => {
    calls.reset();
    let ran = false;
    const error = await failure(
      store.run({ key }, () => {
        ran = true;
      }),
    );
    expect(error).toBeInstanceOf(MissingIdempotencyKeyError);
    expect(error.retryable).toBe(false);
    expect(ran).toBe(false);
    expect(calls.totalSent()).toBe(0);
  });

  it('handles keys longer than a DynamoDB key allows by hashing them, and still deduplicates', async () => {
    const longKey = `evt_${'k'.repeat(5000)}`;
    const first = await store.run({ key: longKey }, () => 'first');
    const second = await store.run({ key: longKey }, () => 'second');
    const other = await store.run({ key: `${longKey}x` }, () => 'other');

    expect(first.status).toBe('committed');
    expect(second).toMatchObject({ status: 'duplicate', result: 'first' });
    expect(other.status).toBe('committed');
    const stored = store.recordKey(longKey);
    expect(stored).toMatch(/^limits:sha256:[0-9a-f]{64}$/);
    expect(await getItem(client, dedupTable, stored)).toBeDefined();
  });

  it('never takes a plain key shaped like a hashed one for the long key it names', async () => {
    const longKey = `evt_${'v'.repeat(5000)}`;
    const digest = createHash('sha256').update(longKey).digest('hex');
    // an attacker who can choose a key plants it before the real event arrives
    expect((await store.run({ key: `sha256:${digest}` }, () => 'crafted')).status).toBe('committed');
    expect(await store.run({ key: longKey }, () => 'real')).toMatchObject({ status: 'committed', result: 'real' });
  });

  it('keeps a key exactly at the 2048-byte limit as it is', async () => {
    const key = 'k'.repeat(2048 - 'limits#'.length);
    await store.run({ key }, () => undefined);
    expect(await getItem(client, dedupTable, `limits#${key}`)).toBeDefined();
  });
});

describe('results too large to store', () => {
  const big = 'r'.repeat(420 * 1024);

  it('by default commits without the result; duplicates learn it was omitted', async () => {
    const first = await store.run({ key: 'big-result' }, (tx) => {
      tx.put({ TableName: items, Item: { pk: 'big-result' } });
      return big;
    });
    const second = await store.run({ key: 'big-result' }, () => big);

    expect(first).toEqual({ status: 'committed', result: big });
    expect(second).toMatchObject({ status: 'duplicate', result: undefined, resultOmitted: true });
    expect(await getItem(client, items, 'big-result')).toBeDefined();
  });

  it('with resultTooLarge "error" refuses to commit, writing nothing', async () => {
    const strict = new Idempotency({ client, tableName: dedupTable, source: 'strict', resultTooLarge: 'error' });
    const error = await failure(
      strict.run({ key: 'big-result' }, (tx) => {
        tx.put({ TableName: items, Item: { pk: 'strict-big-result' } });
        return big;
      }),
    );
    expect(error).toBeInstanceOf(TransactionLimitError);
    expect(error.message).toMatch(/Return a smaller result/);
    expect(await getItem(client, items, 'strict-big-result')).toBeUndefined();
  });

  it('honours a smaller maxResultBytes', async () => {
    const small = new Idempotency({ client, tableName: dedupTable, source: 'small', maxResultBytes: 16 });
    await small.run({ key: 'fits' }, () => 'short');
    await small.run({ key: 'omitted' }, () => 'a result longer than sixteen bytes');
    expect(await small.run({ key: 'fits' }, () => '')).toMatchObject({ result: 'short', resultOmitted: false });
    expect(await small.run({ key: 'omitted' }, () => '')).toMatchObject({ result: undefined, resultOmitted: true });
  });

  it('leaves the result only the room the rest of the dedup record leaves: the largest that fits is stored, a byte more omitted', async () => {
    const key = 'k'.repeat(2000);
    // the rest of the record: pk "limits#<key>", firstSeenAt (ISO 8601, 24), runId (UUID, 36); then the name "result"
    const rest = 'pk'.length + `limits#${key}`.length + 'firstSeenAt'.length + 24 + 'runId'.length + 36;
    const room = 400 * 1024 - rest - 'result'.length;
    const ofJsonLength = (bytes: number) => 'x'.repeat(bytes - 2); // a JSON string adds its two quotes

    const largest = ofJsonLength(room);
    const fits = await store.run({ key }, () => largest);
    expect(fits).toEqual({ status: 'committed', result: largest });
    expect(await store.run({ key }, () => '')).toMatchObject({ status: 'duplicate', result: largest });

    const other = 'j'.repeat(2000); // a record of the same size
    const tooLarge = await store.run({ key: other }, () => ofJsonLength(room + 1));
    expect(tooLarge.status).toBe('committed');
    expect(await store.run({ key: other }, () => '')).toMatchObject({ status: 'duplicate', resultOmitted: true });
  });

  it('refuses a result that is not JSON data', async () => {
    const error = await failure(store.run({ key: 'bigint' }, () => ({ amount: 10n })));
    expect(error).toBeInstanceOf(UnstorableResultError);
    expect(error.message).toMatch(/cannot be stored for duplicates to replay: it holds a BigInt/);
    expect(await getItem(client, dedupTable, 'limits#bigint')).toBeUndefined();
  });
});
