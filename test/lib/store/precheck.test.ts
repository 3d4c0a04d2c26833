import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Idempotency } from '../../../lib/index.js';
import { createTable, localClient } from '../../support/dynamo.js';
import { instrument } from '../../support/faults.js';

const client = localClient();
const calls = instrument(client);
const reads: { ConsistentRead?: boolean }[] = [];
client.middlewareStack.add(
  (next, context) => async (args) => {
    if (context.commandName === 'GetCommand' || context.commandName === 'GetItemCommand') {
      reads.push(args.input as { ConsistentRead?: boolean });
    }
    return next(args);
  },
  { step: 'initialize', name: 'txonceTestReads' },
);
let dedupTable: string;

beforeAll(async () => {
  dedupTable = await createTable(client, 'dedup');
});

afterEach(() => {
  vi.useRealTimers();
});

function counting() {
  let runs = 0;
  return {
    work: () => {
      runs++;
      return 'ran';
    },
    runs: () => runs,
  };
}

const putRecord = (item: Record<string, unknown>) =>
  client.send(new PutCommand({ TableName: dedupTable, Item: { firstSeenAt: '2026-01-01T00:00:00.000Z', ...item } }));

describe('precheck', () => {
  it('reads the dedup record eventually consistent by default, strongly with precheckRead: "strong"', async () => {
    const eventual = new Idempotency({ client, tableName: dedupTable, source: 'eventual', precheck: true });
    const strong = new Idempotency({
      client,
      tableName: dedupTable,
      source: 'consistent',
      precheck: true,
      precheckRead: 'strong',
    });
    reads.length = 0;
    await eventual.run({ key: 'k' }, () => undefined);
    await strong.run({ key: 'k' }, () => undefined);
    expect(reads.map((read) => read.ConsistentRead)).toEqual([false, true]);
  });

  it('answers a repeat of a live record with a TTL without running the handler or committing', async () => {
    const precheck = new Idempotency({
      client,
      tableName: dedupTable,
      source: 'live',
      ttlSeconds: 3600,
      precheck: true,
    });
    await putRecord({ pk: 'live#k', result: '"first"', expiresAt: Math.floor(Date.now() / 1000) + 3600 });
    const { work, runs } = counting();
    calls.reset();
    expect(await precheck.run({ key: 'k' }, work)).toMatchObject({ status: 'duplicate', result: 'first' });
    expect(runs()).toBe(0);
    expect(calls.sent).toEqual({ GetItem: 1 });
  });

  it('counts a record as live through the very second it expires at, as the transaction does', async () => {
    const precheck = new Idempotency({ client, tableName: dedupTable, source: 'edge', ttlSeconds: 60, precheck: true });
    const expiresAt = Math.floor(Date.now() / 1000) + 5;
    await putRecord({ pk: 'edge#k', result: '"first"', expiresAt });
    vi.useFakeTimers({ toFake: ['Date'], now: expiresAt * 1000 + 500 });
    const { work, runs } = counting();
    calls.reset();
    expect(await precheck.run({ key: 'k' }, work)).toMatchObject({ status: 'duplicate', result: 'first' });
    expect(runs()).toBe(0);
    expect(calls.sent).toEqual({ GetItem: 1 });
  });

  it('ignores a TTL attribute that is not a number, as DynamoDB’s TTL does', async () => {
    const precheck = new Idempotency({
      client,
      tableName: dedupTable,
      source: 'text-ttl',
      ttlSeconds: 60,
      precheck: true,
    });
    await putRecord({ pk: 'text-ttl#k', result: '"first"', expiresAt: '1' });
    const { work, runs } = counting();
    expect(await precheck.run({ key: 'k' }, work)).toMatchObject({ status: 'duplicate', result: 'first' });
    expect(runs()).toBe(0);
  });
});

describe('cache', () => {
  it('holds maxEntries keys: each of them is answered without a call', async () => {
    const cached = new Idempotency({ client, tableName: dedupTable, source: 'holds', cache: { maxEntries: 2 } });
    await cached.run({ key: 'a' }, () => 'a');
    await cached.run({ key: 'b' }, () => 'b');
    calls.reset();
    expect(await cached.run({ key: 'a' }, () => 'again')).toMatchObject({ status: 'duplicate', result: 'a' });
    expect(await cached.run({ key: 'b' }, () => 'again')).toMatchObject({ status: 'duplicate', result: 'b' });
    expect(calls.totalSent()).toBe(0);
  });
});
