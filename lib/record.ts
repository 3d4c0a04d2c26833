import { createHash } from 'node:crypto';
import { MissingIdempotencyKeyError } from './errors.js';

/** DynamoDB's limit for a partition key value, in UTF-8 bytes. */
export const MAX_PARTITION_KEY_BYTES = 2048;

/** Attribute names of the dedup record (the TTL attribute name is an option). */
export const RECORD = {
  key: 'pk',
  firstSeenAt: 'firstSeenAt',
  runId: 'runId',
  fingerprint: 'fingerprint',
  result: 'result',
  resultOmitted: 'resultOmitted',
} as const;

export const HASHED_KEY_PREFIX = 'sha256:';

/**
 * The dedup record's partition key: "<source>#<key>". A key too long for a DynamoDB
 * partition key is replaced by its SHA-256, so any key length works.
 */
export function recordKey(source: string, key: unknown): string {
  if (typeof key !== 'string') {
    throw new MissingIdempotencyKeyError(`expected a string, got ${key === null ? 'null' : typeof key}`);
  }
  if (key.length === 0) throw new MissingIdempotencyKeyError('the key is an empty string');
  const plain = `${source}#${key}`;
  if (Buffer.byteLength(plain, 'utf8') <= MAX_PARTITION_KEY_BYTES) return plain;
  return `${source}#${HASHED_KEY_PREFIX}${sha256(key)}`;
}

/**
 * A stable hash of a payload: object keys are sorted at every depth, so the same data in
 * another key order has the same fingerprint. Values follow JSON rules (toJSON, undefined dropped).
 */
export function fingerprintOf(payload: unknown): string {
  return sha256(canonicalJson(payload) ?? 'undefined');
}

function canonicalJson(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && 'toJSON' in value) {
    return canonicalJson((value as { toJSON(): unknown }).toJSON());
  }
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonicalJson(item) ?? 'null').join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .flatMap((name) => {
        const encoded = canonicalJson((value as Record<string, unknown>)[name]);
        return encoded === undefined ? [] : [`${JSON.stringify(name)}:${encoded}`];
      });
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
