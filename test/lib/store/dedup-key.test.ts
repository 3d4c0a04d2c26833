import { beforeAll, describe, expect, it } from 'vitest';
import {
  fingerprintOf,
  Idempotency,
  jsonBody,
  MissingIdempotencyKeyError,
  readDeadLetterReason,
  recordKey,
  sqsBatchHandler,
  UnfingerprintablePayloadError,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { createTable, localClient } from '../../support/dynamo.js';
import { createQueues, drainMessages, localSqs } from '../../support/sqs.js';
import { sqsEvent, sqsRecord } from '../../support/sqs-events.js';

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

  it('fingerprints ordinary JSON with a data field named "toJSON", as JSON.stringify does', () => {
    const payload = JSON.parse('{"toJSON":"not a function","amount":1}');
    expect(fingerprintOf(payload)).toBe(fingerprintOf({ amount: 1, toJSON: 'not a function' }));
    expect(fingerprintOf(payload)).not.toBe(fingerprintOf({ amount: 1, toJSON: 'other' }));
  });

  it('tells a BigInt from the string of its digits', () => {
    expect(fingerprintOf(1n)).not.toBe(fingerprintOf('1'));
    expect(fingerprintOf({ amount: 10n })).not.toBe(fingerprintOf({ amount: '10' }));
    expect(fingerprintOf({ amount: 10n })).toBe(fingerprintOf({ amount: 10n }));
  });

  it.each([
    ['a Map', new Map([['a', 1]])],
    ['a Set', new Set([1])],
    ['a Map inside an object', { data: new Map() }],
    ['a function', { run: () => 1 }],
    ['a symbol', [Symbol('x')]],
    [
      'a cycle',
      (() => {
        const a: Record<string, unknown> = {};
        a.self = a;
        return a;
      })(),
    ],
  ])('refuses %s with a permanent, typed error instead of a fingerprint that many payloads share', (_, payload) => {
    let caught: unknown;
    try {
      fingerprintOf(payload);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnfingerprintablePayloadError);
    expect((caught as UnfingerprintablePayloadError).retryable).toBe(false);
    expect((caught as Error).name).toBe('UnfingerprintablePayloadError');
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
    expect(recordKey('s', emoji)).toMatch(/^s:sha256:[0-9a-f]{64}$/);
    expect(recordKey('s', emoji)).toBe(recordKey('s', emoji));
    expect(recordKey('s', '€'.repeat(600))).toBe(`s#${'€'.repeat(600)}`);
  });

  it('never gives a plain key the record key of a hashed long key', () => {
    const long = 'k'.repeat(3000);
    const hashed = recordKey('s', long);
    const digest = hashed.slice(-64);
    for (const crafted of [`sha256:${digest}`, `:sha256:${digest}`, hashed, hashed.slice(2)]) {
      expect(recordKey('s', crafted)).not.toBe(hashed);
    }
    // and no source's plain key reaches it either: plain record keys always hold the "#"
    expect(hashed).not.toContain('#');
  });

  it('refuses keys that are neither non-empty strings nor finite numbers', () => {
    expect(() => recordKey('s', '')).toThrow(MissingIdempotencyKeyError);
    expect(() => recordKey('s', { id: 7 })).toThrow(/must be a non-empty string or a finite number, not an object/);
  });

  it('keys a number or a BigInt by its decimal text: the same record as the string', () => {
    expect(recordKey('s', 42)).toBe('s#42');
    expect(recordKey('s', 42n)).toBe('s#42');
    expect(recordKey('s', -1.5)).toBe('s#-1.5');
  });
});

describe('store.run with a numeric key (numeric event ids are common)', () => {
  const client = localClient();
  let store: Idempotency;
  beforeAll(async () => {
    store = new Idempotency({ client, tableName: await createTable(client, 'numeric-keys'), source: 'orders' });
  });

  it('commits under its decimal text, and a later delivery keyed by the string is its duplicate', async () => {
    const first = await store.run({ key: 42 }, () => ({ order: 42 }));
    expect(first).toEqual({ status: 'committed', result: { order: 42 } });
    expect(store.recordKey(42)).toBe('orders#42');
    const again = await store.run({ key: '42' }, () => ({ order: 'again' }));
    expect(again).toMatchObject({ status: 'duplicate', result: { order: 42 } });
  });

  it('refuses NaN, Infinity and objects, saying the key is not a string or a finite number', async () => {
    for (const [key, got] of [
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
      [{ id: 'evt_1' }, 'an object'],
      [true, 'a boolean'],
    ] as const) {
      const error = await store.run({ key }, () => 'ran').catch((error: Error) => error);
      expect(error).toBeInstanceOf(MissingIdempotencyKeyError);
      expect((error as Error).message).toBe(
        `The idempotency key must be a non-empty string or a finite number, not ${got}. ` +
          "Pass the producer's event id (e.g. event.id), not the whole event.",
      );
    }
  });
});

describe('an unfingerprintable payload in an SQS batch', () => {
  const dynamo = localClient();
  const sqs = localSqs();
  let store: Idempotency;
  beforeAll(async () => {
    store = new Idempotency({ client: dynamo, tableName: await createTable(dynamo, 'dedup'), source: 'fp' });
  });

  it('goes to the DLQ at once as UnfingerprintablePayloadError, not retried to maxReceiveCount', async () => {
    const { dlqUrl } = await createQueues(sqs);
    const handler = sqsBatchHandler({
      store,
      handler: () => 'applied',
      fingerprint: (record) => new Map(Object.entries(jsonBody<object>(record))),
      deadLetter: { client: sqs, queueUrl: dlqUrl },
    });
    const record = sqsRecord({ amount: 1 }, { idempotencyKey: 'evt-map-1' });
    const response = await handler(sqsEvent([record]), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    const [dead] = await drainMessages(sqs, dlqUrl);
    expect(readDeadLetterReason(dead.MessageAttributes)?.errorName).toBe('UnfingerprintablePayloadError');
  });

  it('a payload with a "toJSON" data field commits like any other', async () => {
    const handler = sqsBatchHandler({ store, handler: () => 'applied', fingerprint: (record) => jsonBody(record) });
    const record = sqsRecord({ toJSON: 'data, not a method' }, { idempotencyKey: 'evt-tojson-1' });
    expect(await handler(sqsEvent([record]), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await handler(sqsEvent([record]), lambdaContext())).toEqual({ batchItemFailures: [] });
  });
});

describe('new Idempotency(options)', () => {
  const client = localClient();
  it.each([
    ['no client', { tableName: 'dedup' }, /`client` must be a DynamoDBDocumentClient/],
    ['an empty tableName', { client, tableName: '' }, /`tableName` must be a non-empty string/],
    ['a source with "#"', { client, tableName: 'dedup', source: 'a#b' }, /may not contain "#"/],
    ['ttlSeconds 0', { client, tableName: 'dedup', ttlSeconds: 0 }, /`ttlSeconds` must be a positive whole number/],
    ['ttlSeconds 1.5', { client, tableName: 'dedup', ttlSeconds: 1.5 }, /`ttlSeconds`/],
    [
      'a ttlAttribute the record itself uses',
      { client, tableName: 'dedup', ttlSeconds: 60, ttlAttribute: 'result' },
      /taken by the dedup record/,
    ],
    ['maxAttempts 0', { client, tableName: 'dedup', maxAttempts: 0 }, /`maxAttempts`/],
    ['resultTooLarge "truncate"', { client, tableName: 'dedup', resultTooLarge: 'truncate' }, /`resultTooLarge`/],
  ])('refuses %s', (_, options, message) => {
    expect(() => new Idempotency(options as never)).toThrow(message);
  });

  it('defaults to the source "default" and durable records', () => {
    const store = new Idempotency({ client, tableName: 'dedup' });
    expect(store.source).toBe('default');
    expect(store.recordKey('k')).toBe('default#k');
  });
});
