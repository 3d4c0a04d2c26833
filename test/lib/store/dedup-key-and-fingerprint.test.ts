import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  fingerprintOf,
  MissingIdempotencyKeyError,
  recordKey,
  UnfingerprintablePayloadError,
} from '../../../lib/index.js';

const TAIL = ". Pass a non-empty string key (the producer's event id is best).";

describe('recordKey() refuses a missing key, saying what came instead', () => {
  it.each([
    [null, 'No idempotency key: the key is null'],
    [undefined, 'No idempotency key: the key is undefined'],
    ['', 'No idempotency key: the key is an empty string'],
  ])('%o', (key, message) => {
    expect(() => recordKey('orders', key)).toThrow(
      new MissingIdempotencyKeyError(message.slice('No idempotency key: '.length)),
    );
    expect(() => recordKey('orders', key)).toThrow(`${message}${TAIL}`);
  });
});

describe('fingerprintOf() refuses what JSON cannot hold faithfully, saying what it met', () => {
  const says = (detail: string) =>
    `Cannot fingerprint the payload: ${detail}. Pass JSON data (plain objects, arrays, strings, numbers, booleans, null; a Map as Object.fromEntries(map)).`;
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  it.each([
    [{ run: () => 1 }, 'it holds a function'],
    [{ id: Symbol('x') }, 'it holds a symbol'],
    [cycle, 'it holds a cycle'],
    [{ tags: new Map([['a', 1]]) }, 'it holds a Map, whose entries JSON does not see'],
    [[new Set([1])], 'it holds a Set, whose entries JSON does not see'],
  ])('%o', (payload, detail) => {
    expect(() => fingerprintOf(payload)).toThrow(UnfingerprintablePayloadError);
    expect(() => fingerprintOf(payload)).toThrow(says(detail));
  });
});

describe('fingerprintOf() tells apart payloads that differ', () => {
  it.each([
    ['two BigInts', 10n, 20n],
    ['an array and an object with its indexes as keys', [1, 2], { 0: 1, 1: 2 }],
    ['arrays whose elements run together', [12, 3], [1, 23]],
    ['an array with an undefined element and an empty array', [undefined], []],
    ['nested arrays split differently', [[1], [2, 3]], [[1, 2], [3]]],
  ])('%s', (_, one, other) => {
    expect(fingerprintOf(one)).not.toBe(fingerprintOf(other));
  });

  it('treats an undefined array element as null, as JSON does', () => {
    expect(fingerprintOf([undefined, 1])).toBe(fingerprintOf([null, 1]));
  });
});

describe('fingerprints stay the same across versions', () => {
  // Stored fingerprints outlive a deploy: a redelivery that spans an upgrade must still match.
  // The fingerprint is the SHA-256 of the payload's JSON with object keys sorted, no spaces.
  const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

  it('is the SHA-256 of the JSON with sorted keys, undefined members left out as JSON leaves them', () => {
    expect(fingerprintOf({ b: [1, 'x', undefined], a: { d: undefined, c: null }, e: 'é' })).toBe(
      sha256('{"a":{"c":null},"b":[1,"x",null],"e":"é"}'),
    );
    expect(fingerprintOf(undefined)).toBe(sha256('undefined'));
    expect(fingerprintOf(12n)).toBe(sha256('12n'));
  });
});
