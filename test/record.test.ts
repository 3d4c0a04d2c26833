import { describe, expect, it } from 'vitest';
import { fingerprintOf, Idempotency, MissingIdempotencyKeyError, recordKey } from '../lib/index.js';
import { localClient } from './support/dynamo.js';

describe('fingerprintOf', () => {
  it('ignores key order at every depth', () => {
    expect(fingerprintOf({ a: 1, b: { x: [1, { p: 1, q: 2 }], y: null } })).toBe(
      fingerprintOf({ b: { y: null, x: [1, { q: 2, p: 1 }] }, a: 1 }),
    );
  });

  it('tells different payloads apart, including array order and types', () => {
    const fingerprints = [
      { amount: 10 },
      { amount: '10' },
      { amount: 11 },
      { amounts: [1, 2] },
      { amounts: [2, 1] },
      [1, 2],
      '{"amount":10}',
      null,
    ].map(fingerprintOf);
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
  });

  it('follows JSON rules: undefined members are dropped and dates compare by their ISO form', () => {
    expect(fingerprintOf({ a: 1, b: undefined })).toBe(fingerprintOf({ a: 1 }));
    expect(fingerprintOf({ at: new Date('2026-01-01T00:00:00Z') })).toBe(
      fingerprintOf({ at: '2026-01-01T00:00:00.000Z' }),
    );
  });
});

describe('recordKey', () => {
  it('is "<source>#<key>" for keys that fit a DynamoDB partition key', () => {
    expect(recordKey('billing', 'evt_1')).toBe('billing#evt_1');
  });

  it('hashes keys whose record key would pass 2048 UTF-8 bytes, counting multi-byte characters', () => {
    const emoji = '€'.repeat(700); // 2100 bytes in UTF-8, 700 characters
    expect(recordKey('s', emoji)).toMatch(/^s#sha256:[0-9a-f]{64}$/);
    expect(recordKey('s', emoji)).toBe(recordKey('s', emoji));
    expect(recordKey('s', '€'.repeat(600))).toBe(`s#${'€'.repeat(600)}`);
  });

  it('refuses keys that are not non-empty strings', () => {
    expect(() => recordKey('s', '')).toThrow(MissingIdempotencyKeyError);
    expect(() => recordKey('s', 7)).toThrow(/expected a string, got number/);
  });
});

describe('new Idempotency(options)', () => {
  const client = localClient();
  it.each([
    [{ tableName: 'dedup' }, /`client` must be a DynamoDBDocumentClient/],
    [{ client, tableName: '' }, /`tableName` must be a non-empty string/],
    [{ client, tableName: 'dedup', source: 'a#b' }, /may not contain "#"/],
    [{ client, tableName: 'dedup', ttlSeconds: 0 }, /`ttlSeconds` must be a positive whole number/],
    [{ client, tableName: 'dedup', ttlSeconds: 1.5 }, /`ttlSeconds`/],
    [{ client, tableName: 'dedup', ttlSeconds: 60, ttlAttribute: 'result' }, /taken by the dedup record/],
    [{ client, tableName: 'dedup', maxAttempts: 0 }, /`maxAttempts`/],
    [{ client, tableName: 'dedup', resultTooLarge: 'truncate' }, /`resultTooLarge`/],
  ])('refuses %o', (options, message) => {
    expect(() => new Idempotency(options as never)).toThrow(message);
  });

  it('defaults to the source "default" and durable records', () => {
    const store = new Idempotency({ client, tableName: 'dedup' });
    expect(store.source).toBe('default');
    expect(store.recordKey('k')).toBe('default#k');
  });
});
