import middy from '@middy/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Idempotency,
  type IdempotentContext,
  idempotency,
  outboxMessageId,
  TransactionLimitError,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { createTable, getItem, localClient, scanAll } from '../../support/dynamo.js';
import { instrument } from '../../support/faults.js';

const client = localClient();
const calls = instrument(client);
let dedupTable: string;
let outboxTable: string;
let accounts: string;
let store: Idempotency;

beforeAll(async () => {
  [dedupTable, outboxTable, accounts] = await Promise.all([
    createTable(client, 'dedup'),
    createTable(client, 'outbox'),
    createTable(client, 'accounts'),
  ]);
  store = new Idempotency({ client, tableName: dedupTable, source: 'emit', outboxTable });
});

const receipt = (invoice: string) => ({
  destination: { kind: 'webhook' as const, url: 'https://partner.example/hooks' },
  type: 'receipt.requested',
  payload: { invoice },
});
const outboxItems = async () => scanAll(client, outboxTable);

describe('tx.emit()', () => {
  it('stages the message in the same transaction: one call, the item exists once the writes commit', async () => {
    calls.reset();
    const outcome = await store.run({ key: 'evt_emit_1' }, (tx) => {
      tx.put({ TableName: accounts, Item: { pk: 'acct-1', paid: true } });
      return { messageId: tx.emit(receipt('inv-1')) };
    });

    expect(calls.sent).toEqual({ TransactWriteItems: 1 });
    const messageId = outboxMessageId('emit#evt_emit_1', 0);
    expect(outcome).toEqual({ status: 'committed', result: { messageId } });
    expect(await getItem(client, outboxTable, messageId)).toMatchObject({
      messageId,
      sourceKey: 'emit#evt_emit_1',
      position: 0,
      destination: { kind: 'webhook', url: 'https://partner.example/hooks' },
      type: 'receipt.requested',
      payload: JSON.stringify({ invoice: 'inv-1' }),
      status: 'pending',
      attempts: 0,
    });
  });

  it('emits nothing on a duplicate delivery', async () => {
    const work = (tx: Parameters<Parameters<Idempotency['run']>[1]>[0]) => {
      tx.emit(receipt('inv-2'));
      tx.emit(receipt('inv-2-copy'));
    };
    await store.run({ key: 'evt_emit_2' }, work);
    const before = (await outboxItems()).length;
    expect((await store.run({ key: 'evt_emit_2' }, work)).status).toBe('duplicate');
    expect((await outboxItems()).length).toBe(before);
  });

  it('emits nothing when the transaction fails or the handler throws', async () => {
    const before = (await outboxItems()).length;
    await expect(
      store.run({ key: 'evt_emit_3' }, (tx) => {
        tx.emit(receipt('inv-3'));
        tx.update({
          TableName: accounts,
          Key: { pk: 'acct-missing' },
          UpdateExpression: 'SET paid = :t',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':t': true },
        });
      }),
    ).rejects.toThrow(/condition on staged write #1/);
    await expect(
      store.run({ key: 'evt_emit_4' }, (tx) => {
        tx.emit(receipt('inv-4'));
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect((await outboxItems()).length).toBe(before);
  });

  it('gives each emit of one event a stable id of its own, the same on every run of that event', () => {
    const ids = [0, 1, 2].map((position) => outboxMessageId('emit#evt', position));
    expect(new Set(ids).size).toBe(3);
    expect(outboxMessageId('emit#evt', 1)).toBe(ids[1]);
    expect(outboxMessageId('emit#other', 1)).not.toBe(ids[1]);
  });

  it('counts outbox items in the transaction limits', async () => {
    const error = await store
      .run({ key: 'evt_emit_many' }, (tx) => {
        for (let index = 0; index < 99; index++) tx.put({ TableName: accounts, Item: { pk: `many-${index}` } });
        tx.emit(receipt('one too many'));
      })
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(TransactionLimitError);
    const big = await store
      .run({ key: 'evt_emit_big' }, (tx) => {
        tx.emit({ ...receipt('big'), payload: 'x'.repeat(410 * 1024) });
      })
      .catch((caught) => caught);
    expect(big).toBeInstanceOf(TransactionLimitError);
  });

  it('refuses a message without a destination, and emit without an outbox table', async () => {
    await expect(
      store.run({ key: 'evt_bad_emit' }, (tx) => tx.emit({ destination: { kind: 'fax' } } as never)),
    ).rejects.toThrow(/destination.kind must be one of/);
    const noOutbox = new Idempotency({ client, tableName: dedupTable, source: 'no-outbox' });
    await expect(noOutbox.run({ key: 'evt' }, (tx) => tx.emit(receipt('x')))).rejects.toThrow(/needs an outbox table/);
  });
});

describe('a message the publisher could never deliver is refused at tx.emit(), and nothing commits', () => {
  let deliveries = 0;
  const refusal = (message: unknown) =>
    store
      .run({ key: `evt_refused_${++deliveries}` }, (tx) => {
        tx.put({ TableName: accounts, Item: { pk: 'acct-refused' } });
        tx.emit(message as never);
      })
      .then(
        () => expect.unreachable('tx.emit() should have refused it'),
        (error: Error) => error,
      );

  it.each([
    [{ kind: 'sqs', queueURL: 'https://sqs.example/q' }, 'a sqs destination needs its queueUrl (a non-empty string)'],
    [{ kind: 'sns', queueUrl: 'https://sqs.example/q' }, 'a sns destination needs its topicArn (a non-empty string)'],
    [{ kind: 'eventbridge', source: 'billing' }, 'a eventbridge destination needs its busName (a non-empty string)'],
    [{ kind: 'webhook', url: '' }, 'a webhook destination needs its url (a non-empty string)'],
    [{ kind: 'webhook', url: 42 }, 'a webhook destination needs its url (a non-empty string)'],
  ])('a destination without its own address: %j', async (destination, says) => {
    const error = await refusal({ destination, payload: {} });
    expect(error).toEqual(new TypeError(`tx.emit(): ${says}.`));
    expect(await getItem(client, accounts, 'acct-refused')).toBeUndefined();
  });

  it('an unknown kind, or none, names the kinds there are', async () => {
    const kinds = new TypeError('tx.emit(): destination.kind must be one of eventbridge, sns, sqs, webhook.');
    expect(await refusal({ destination: { kind: 'toString', url: 'x' }, payload: {} })).toEqual(kinds);
    expect(await refusal({ payload: {} })).toEqual(kinds);
  });

  it('a payload that is not JSON data, or none', async () => {
    const destination = { kind: 'sqs', queueUrl: 'https://sqs.example/q' };
    expect((await refusal({ destination, payload: { amount: 10n } })).message).toMatch(
      /^tx\.emit\(\): the payload is not JSON data \(.*BigInt.*\)\.$/,
    );
    expect(await refusal({ destination })).toEqual(new TypeError('tx.emit(): the payload is required.'));
    expect(await getItem(client, accounts, 'acct-refused')).toBeUndefined();
  });

  it('each kind with its address is accepted, and an untyped message gets the type txonce.message', async () => {
    const destinations = [
      { kind: 'eventbridge', busName: 'default', source: 'billing' },
      { kind: 'sns', topicArn: 'arn:aws:sns:us-east-1:123456789012:receipts' },
      { kind: 'sqs', queueUrl: 'https://sqs.example/q' },
      { kind: 'webhook', url: 'https://partner.example/hooks' },
    ] as const;
    await store.run({ key: 'evt_every_kind' }, (tx) => {
      for (const destination of destinations) tx.emit({ destination, payload: { kind: destination.kind } });
    });
    const items = await Promise.all(
      destinations.map((_, position) => getItem(client, outboxTable, outboxMessageId('emit#evt_every_kind', position))),
    );
    expect(items.map((item) => item?.destination)).toEqual(destinations);
    expect(items.map((item) => item?.type)).toEqual(Array(4).fill('txonce.message'));
    expect(outboxMessageId('emit#evt_every_kind', 0)).toMatch(/^msg_[0-9a-f]{32}$/);
  });
});

describe('precheck and the container cache', () => {
  const counting = () => {
    let runs = 0;
    const work = (tx: Parameters<Parameters<Idempotency['run']>[1]>[0]) => {
      runs++;
      tx.update({
        TableName: accounts,
        Key: { pk: 'precheck-counter' },
        UpdateExpression: 'ADD n :one',
        ExpressionAttributeValues: { ':one': 1 },
      });
      return 'done';
    };
    return { work, runs: () => runs };
  };

  it('precheck: a first delivery costs a read and the commit; a duplicate one read and no handler run', async () => {
    const precheck = new Idempotency({ client, tableName: dedupTable, source: 'precheck', precheck: true });
    const { work, runs } = counting();
    calls.reset();
    expect((await precheck.run({ key: 'p1' }, work)).status).toBe('committed');
    expect(calls.sent).toEqual({ GetItem: 1, TransactWriteItems: 1 });

    calls.reset();
    expect(await precheck.run({ key: 'p1' }, work)).toMatchObject({ status: 'duplicate', result: 'done' });
    expect(calls.sent).toEqual({ GetItem: 1 });
    expect(runs()).toBe(1);
  });

  it('precheck still refuses a reused key with another fingerprint', async () => {
    const precheck = new Idempotency({ client, tableName: dedupTable, source: 'precheck-fp', precheck: true });
    await precheck.run({ key: 'p2', fingerprint: { a: 1 } }, () => 'x');
    await expect(precheck.run({ key: 'p2', fingerprint: { a: 2 } }, () => 'y')).rejects.toThrow(/different payload/);
  });

  it('cache: a repeat this container has seen costs no call and no handler run; a new container still deduplicates', async () => {
    const cached = new Idempotency({ client, tableName: dedupTable, source: 'cached', cache: { maxEntries: 2 } });
    const { work, runs } = counting();
    await cached.run({ key: 'c1' }, work);
    calls.reset();
    expect(await cached.run({ key: 'c1' }, work)).toMatchObject({ status: 'duplicate', result: 'done' });
    expect(calls.totalSent()).toBe(0);
    expect(runs()).toBe(1);

    const freshContainer = new Idempotency({ client, tableName: dedupTable, source: 'cached', cache: true });
    expect((await freshContainer.run({ key: 'c1' }, work)).status).toBe('duplicate');
    expect(runs()).toBe(2); // ran, but its writes were discarded by the transaction's condition
  });

  it('cache: evicts the oldest key beyond maxEntries, which then falls back to the transaction', async () => {
    const cached = new Idempotency({ client, tableName: dedupTable, source: 'evict', cache: { maxEntries: 2 } });
    for (const key of ['e1', 'e2', 'e3']) await cached.run({ key }, () => key);
    calls.reset();
    await cached.run({ key: 'e3' }, () => 'again');
    expect(calls.totalSent()).toBe(0);
    expect(await cached.run({ key: 'e1' }, () => 'again')).toMatchObject({ status: 'duplicate', result: 'e1' });
    expect(calls.sent).toEqual({ TransactWriteItems: 1 });
  });

  it('idempotency() skips the handler of a known duplicate, void handlers included', async () => {
    const precheck = new Idempotency({ client, tableName: dedupTable, source: 'mw-precheck', precheck: true });
    let runs = 0;
    const handler = middy<{ id: string }, void>().handler(
      idempotency({ store: precheck, key: (event: { id: string }) => event.id }, async () => {
        runs++;
      }),
    );
    await handler({ id: 'v1' }, lambdaContext() as IdempotentContext);
    expect(await handler({ id: 'v1' }, lambdaContext() as IdempotentContext)).toBeUndefined();
    expect(runs).toBe(1);
  });
});
