import { createHash } from 'node:crypto';
import { MissingIdempotencyKeyError, UnfingerprintablePayloadError } from '../shared/errors.js';
import { valueKind } from '../shared/value-kind.js';

/** DynamoDB's limit for a partition key value, in UTF-8 bytes. */
export const MAX_PARTITION_KEY_BYTES = 2048;

/**
 * Marks a hashed long key: "<source>:sha256:<hex>". It holds no "#", and every plain record key
 * does ("<source>#<key>", a source has no "#"), so no plain key can produce a hashed one.
 */
export const HASHED_KEY_MARKER = ':sha256:';

/**
 * The dedup record's partition key: "<source>#<key>". A key too long for a DynamoDB partition
 * key is replaced by its SHA-256 ("<source>:sha256:<hex>"), so any key length works. A number
 * (finite) or a BigInt key is its decimal text: `42`, `42n` and `"42"` are one key.
 *
 * @example
 * ```ts
 * import { recordKey } from 'txonce';
 *
 * export const pk = recordKey('billing', 'evt_1'); // "billing#evt_1": the dedup record's partition key
 * ```
 */
export function recordKey(source: string, key: unknown): string {
  const text = keyText(key);
  const plain = `${source}#${text}`;
  if (Buffer.byteLength(plain, 'utf8') <= MAX_PARTITION_KEY_BYTES) return plain;
  return `${source}${HASHED_KEY_MARKER}${sha256(text)}`;
}

/**
 * A key as the text it is stored under, or undefined for a value that is no key: numeric ids are
 * common, and their decimal text is stable.
 */
export function keyTextOf(key: unknown): string | undefined {
  if (typeof key === 'string') return key;
  if (typeof key === 'bigint' || (typeof key === 'number' && Number.isFinite(key))) return String(key);
  return undefined;
}

function keyText(key: unknown): string {
  if (key === undefined || key === null) throw new MissingIdempotencyKeyError(`the key is ${key}`);
  if (key === '') throw new MissingIdempotencyKeyError('the key is an empty string');
  const text = keyTextOf(key);
  if (text !== undefined) return text;
  const got = typeof key === 'number' ? String(key) : valueKind(key);
  throw new MissingIdempotencyKeyError('', { got });
}

/**
 * A stable hash of a payload: object keys are sorted at every depth, so the same data in
 * another key order has the same fingerprint. Values follow JSON rules (a toJSON method is
 * called, undefined members dropped); a BigInt is told apart from the string of its digits.
 * What JSON cannot represent faithfully (Map, Set, functions, symbols, cycles) would give
 * different payloads one fingerprint: it is an UnfingerprintablePayloadError instead, as is a
 * payload nested more than 1000 levels deep (a permanent failure, not a stack overflow).
 *
 * @example
 * ```ts
 * import { fingerprintOf } from 'txonce';
 *
 * // key order does not matter: both are the same fingerprint
 * export const same = fingerprintOf({ a: 1, b: 2 }) === fingerprintOf({ b: 2, a: 1 });
 * ```
 */
export function fingerprintOf(payload: unknown): string {
  return sha256(canonicalJson(payload, []) ?? 'undefined');
}

/** Objects and arrays within one another; JSON.parse takes any depth, the fingerprint does not. */
const MAX_FINGERPRINT_DEPTH = 1000;

function canonicalJson(value: unknown, parents: object[]): string | undefined {
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new UnfingerprintablePayloadError(`it holds a ${typeof value}`);
  }
  // "1n" is no JSON text, so no JSON value encodes like a BigInt
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (parents.includes(value)) throw new UnfingerprintablePayloadError('it holds a cycle');
  // deeper would overflow the call stack, a RangeError that looks transient; no event is this deep
  if (parents.length >= MAX_FINGERPRINT_DEPTH)
    throw new UnfingerprintablePayloadError(`it is nested deeper than ${MAX_FINGERPRINT_DEPTH} levels`);
  const inside = [...parents, value];
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalJson((value as { toJSON(): unknown }).toJSON(), inside);
  }
  if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof WeakSet) {
    throw new UnfingerprintablePayloadError(`it holds a ${value.constructor.name}, whose entries JSON does not see`);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonicalJson(item, inside) ?? 'null').join(',')}]`;
  }
  const entries = Object.keys(value)
    .sort()
    .flatMap((name) => {
      const encoded = canonicalJson((value as Record<string, unknown>)[name], inside);
      return encoded === undefined ? [] : [`${JSON.stringify(name)}:${encoded}`];
    });
  return `{${entries.join(',')}}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
