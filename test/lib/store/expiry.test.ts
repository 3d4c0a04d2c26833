import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Idempotency, IdempotencyKeyReuseError } from '../../../lib/index.js';
import { createTable, getItem, localClient } from '../../support/dynamo.js';
import { instrument } from '../../support/faults.js';

const client = localClient();
let dedupTable: string;
let counters: string;

beforeAll(async () => {
  [dedupTable, counters] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'counters')]);
});

function countOnce(store: Idempotency, key: string) {
  return store.run({ key }, (tx) => {
    tx.update({
      TableName: counters,
      Key: { pk: store.recordKey(key) },
      UpdateExpression: 'ADD applied :one',
      ExpressionAttributeValues: { ':one': 1 },
    });
  });
}

describe('record expiry', () => {
  it('is durable by default: the record carries no TTL attribute and blocks repeats indefinitely', async () => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'durable' });
    await countOnce(store, 'evt');
    expect((await getItem(client, dedupTable, 'durable#evt'))?.expiresAt).toBeUndefined();
    expect((await countOnce(store, 'evt')).status).toBe('duplicate');
  });

  it('with ttlSeconds writes the TTL attribute in epoch seconds', async () => {
    const store = new Idempotency({
      client,
      tableName: dedupTable,
      source: 'ttl',
      ttlSeconds: 3600,
      ttlAttribute: 'ttl',
    });
    const before = Math.floor(Date.now() / 1000);
    await countOnce(store, 'evt');
    const record = await getItem(client, dedupTable, 'ttl#evt');
    expect(record?.ttl).toBeGreaterThanOrEqual(before + 3600);
    expect(record?.ttl).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 3600);
    expect((await countOnce(store, 'evt')).status).toBe('duplicate');
  });

  it('lets a new delivery through once the record has expired, even before DynamoDB deletes it', async () => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'expiring', ttlSeconds: 1 });
    await countOnce(store, 'evt');
    const expiresAt = (await getItem(client, dedupTable, 'expiring#evt'))?.expiresAt as number;

    // wait until the record is past its expiry (DynamoDB Local never deletes it)
    await new Promise((resolve) => setTimeout(resolve, (expiresAt + 1) * 1000 - Date.now() + 50));
    expect(await getItem(client, dedupTable, 'expiring#evt')).toBeDefined();

    const after = await countOnce(store, 'evt');
    expect(after.status).toBe('committed');
    expect((await getItem(client, counters, 'expiring#evt'))?.applied).toBe(2);
    expect((await getItem(client, dedupTable, 'expiring#evt'))?.expiresAt).toBeGreaterThan(expiresAt);
  });
});

/** A record as an earlier delivery left it, expired an hour ago and not yet swept by DynamoDB. */
async function putExpiredRecord(pk: string) {
  await client.send(
    new PutCommand({
      TableName: dedupTable,
      Item: {
        pk,
        firstSeenAt: new Date(Date.now() - 7_200_000).toISOString(),
        runId: 'an-earlier-delivery',
        result: JSON.stringify('first'),
        expiresAt: Math.floor(Date.now() / 1000) - 3600,
      },
    }),
  );
}

describe('an expired record not yet swept', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('does not block a delivery that reads it first (precheck)', async () => {
    const store = new Idempotency({
      client,
      tableName: dedupTable,
      source: 'precheck-expired',
      ttlSeconds: 60,
      precheck: true,
    });
    await putExpiredRecord('precheck-expired#evt');

    const outcome = await countOnce(store, 'evt');

    expect(outcome.status).toBe('committed');
    expect((await getItem(client, counters, 'precheck-expired#evt'))?.applied).toBe(1);
  });

  it('does not block a delivery in the container that cached it (cache)', async () => {
    const store = new Idempotency({
      client,
      tableName: dedupTable,
      source: 'cache-expired',
      ttlSeconds: 60,
      cache: true,
    });
    await countOnce(store, 'evt');
    expect((await countOnce(store, 'evt')).status).toBe('duplicate');

    // two minutes later the cached record (60 s) has expired; only Date moves, timers stay real
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 120_000 });
    const outcome = await countOnce(store, 'evt');

    expect(outcome.status).toBe('committed');
    expect((await getItem(client, counters, 'cache-expired#evt'))?.applied).toBe(2);
  });
});

describe('with ttlSeconds, a live record still tells a repeat what it needs', () => {
  const ttlStore = (source: string, client_ = client) =>
    new Idempotency({ client: client_, tableName: dedupTable, source, ttlSeconds: 3600, retryBaseDelayMs: 1 });

  it("replays the first delivery's result and when it was first seen", async () => {
    const store = ttlStore('ttl-replay');
    await store.run({ key: 'evt' }, () => ({ invoice: 'inv_1' }));

    const repeat = await store.run({ key: 'evt' }, () => ({ invoice: 'never' }));

    expect(repeat).toMatchObject({ status: 'duplicate', result: { invoice: 'inv_1' }, resultOmitted: false });
    expect(repeat.status === 'duplicate' && Date.parse(repeat.firstSeenAt)).toBeGreaterThan(0);
  });

  it('refuses a reused key with another payload', async () => {
    const store = ttlStore('ttl-reuse');
    await store.run({ key: 'evt', fingerprint: { amount: 1 } }, () => 'first');

    await expect(store.run({ key: 'evt', fingerprint: { amount: 2 } }, () => 'second')).rejects.toBeInstanceOf(
      IdempotencyKeyReuseError,
    );
  });

  it('recognises its own commit when the response was lost and the retry meets the record', async () => {
    const faulty = localClient();
    // 1: applied, response lost; 2: the SDK's retry reaches DynamoDB after its token window
    instrument(faulty, (attempt) => (attempt === 1 ? 'lose-response' : attempt === 2 ? 'forget-token' : 'none'));
    const store = ttlStore('ttl-own', faulty);

    const outcome = await countOnce(store, 'evt');

    expect(outcome).toEqual({ status: 'committed', result: undefined });
    expect((await getItem(client, counters, 'ttl-own#evt'))?.applied).toBe(1);
  });
});
