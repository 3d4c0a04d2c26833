import { beforeAll, describe, expect, it } from 'vitest';
import { Idempotency } from '../lib/index.js';
import { createTable, getItem, localClient } from './support/dynamo.js';

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
