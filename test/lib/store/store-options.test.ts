import { describe, expect, it } from 'vitest';
import { Idempotency } from '../../../lib/index.js';
import { localClient } from '../../support/dynamo.js';

const client = localClient();
const base = { client, tableName: 'dedup' };

function refusal(options: unknown): unknown {
  try {
    new Idempotency(options as never);
  } catch (error) {
    return error;
  }
  throw new Error('expected new Idempotency(...) to throw');
}

describe('new Idempotency(options) says exactly what is wrong', () => {
  it('without options, or with options that are not an object', () => {
    for (const options of [undefined, null, 'dedup']) {
      expect(refusal(options)).toEqual(new TypeError('new Idempotency(options): options are required.'));
    }
  });

  it('a client that cannot send', () => {
    const says = new TypeError(
      'Idempotency: `client` must be a DynamoDBDocumentClient (DynamoDBDocumentClient.from(new DynamoDBClient())).',
    );
    expect(refusal({ tableName: 'dedup' })).toEqual(says);
    expect(refusal({ client: {}, tableName: 'dedup' })).toEqual(says);
    expect(refusal({ client: { send: 'not a function' }, tableName: 'dedup' })).toEqual(says);
  });

  it('a tableName, source, ttlAttribute or outboxTable that is not a non-empty string', () => {
    expect(refusal({ client })).toEqual(
      new TypeError('Idempotency: `tableName` must be a non-empty string (got undefined).'),
    );
    expect(refusal({ ...base, source: '' })).toEqual(
      new TypeError('Idempotency: `source` must be a non-empty string (got "").'),
    );
    expect(refusal({ ...base, ttlAttribute: 7 })).toEqual(
      new TypeError('Idempotency: `ttlAttribute` must be a non-empty string (got 7).'),
    );
    expect(refusal({ ...base, outboxTable: '' })).toEqual(
      new TypeError('Idempotency: `outboxTable` must be a non-empty string (got "").'),
    );
  });

  it('a source with "#", which separates source from key', () => {
    expect(refusal({ ...base, source: 'orders#eu' })).toEqual(
      new TypeError('Idempotency: `source` may not contain "#" (got "orders#eu"): it separates source from key.'),
    );
  });

  it('a ttlSeconds that is not a positive whole number', () => {
    for (const ttlSeconds of [0, -60, 1.5, Number.NaN, '60']) {
      expect(refusal({ ...base, ttlSeconds })).toEqual(
        new TypeError(
          `Idempotency: \`ttlSeconds\` must be a positive whole number of seconds, or undefined for durable records (got ${ttlSeconds}).`,
        ),
      );
    }
  });

  it('a ttlAttribute that is one of the dedup record’s own attributes', () => {
    for (const ttlAttribute of ['pk', 'firstSeenAt', 'runId', 'fingerprint', 'result', 'resultOmitted']) {
      expect(refusal({ ...base, ttlSeconds: 60, ttlAttribute })).toEqual(
        new TypeError(
          `Idempotency: \`ttlAttribute\` "${ttlAttribute}" is taken by the dedup record; choose another name.`,
        ),
      );
    }
  });

  it('a maxAttempts below 1 or not whole', () => {
    for (const maxAttempts of [0, -1, 2.5, Number.POSITIVE_INFINITY]) {
      expect(refusal({ ...base, maxAttempts })).toEqual(
        new TypeError(`Idempotency: \`maxAttempts\` must be a whole number >= 1 (got ${maxAttempts}).`),
      );
    }
  });

  it('a retryBaseDelayMs that is negative or not finite', () => {
    for (const retryBaseDelayMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, '25']) {
      expect(refusal({ ...base, retryBaseDelayMs })).toEqual(
        new TypeError(
          `Idempotency: \`retryBaseDelayMs\` must be a number of milliseconds >= 0 (got ${retryBaseDelayMs}).`,
        ),
      );
    }
  });

  it('a maxResultBytes that is negative or not whole', () => {
    for (const maxResultBytes of [-1, 0.5]) {
      expect(refusal({ ...base, maxResultBytes })).toEqual(
        new TypeError(`Idempotency: \`maxResultBytes\` must be a whole number >= 0 (got ${maxResultBytes}).`),
      );
    }
  });

  it('a resultTooLarge other than "omit" or "error"', () => {
    expect(refusal({ ...base, resultTooLarge: 'truncate' })).toEqual(
      new TypeError('Idempotency: `resultTooLarge` must be "omit" or "error" (got truncate).'),
    );
  });

  it('a cache.maxEntries below 1 or not whole', () => {
    for (const maxEntries of [0, -5, 1.5]) {
      expect(refusal({ ...base, cache: { maxEntries } })).toEqual(
        new TypeError(`Idempotency: \`cache.maxEntries\` must be a whole number >= 1 (got ${maxEntries}).`),
      );
    }
  });

  it('accepts every option at its lowest allowed value', () => {
    const store = new Idempotency({
      ...base,
      source: 'edge',
      ttlSeconds: 1,
      ttlAttribute: 'ttl',
      maxAttempts: 1,
      retryBaseDelayMs: 0,
      maxResultBytes: 0,
      resultTooLarge: 'error',
      outboxTable: 'outbox',
      precheck: true,
      cache: { maxEntries: 1 },
    });
    expect(store.tableName).toBe('dedup');
    expect(store.source).toBe('edge');
    expect(() => new Idempotency({ ...base, cache: true })).not.toThrow();
    expect(() => new Idempotency({ ...base, cache: {} })).not.toThrow();
    expect(() => new Idempotency({ ...base, resultTooLarge: 'omit' })).not.toThrow();
  });
});
