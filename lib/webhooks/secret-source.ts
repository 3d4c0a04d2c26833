import type { SchemeSelector } from './schemes.js';
import { usableSecrets } from './signature.js';

// Where verifyWebhook gets its secrets: a fixed list, or a SecretSource whose refresh after a
// mismatch is rate-limited here.

/**
 * Secrets that may change (a secrets manager); static ones are a plain list.
 *
 * @example
 * ```ts
 * import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
 * import type { SecretSource } from 'txonce';
 *
 * const client = new SecretsManagerClient({});
 * const read = async () => {
 *   const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: 'webhook-secret' }));
 *   const value = JSON.parse(SecretString ?? '[]') as string | string[]; // one secret, or [new, old]
 *   return typeof value === 'string' ? [value] : value;
 * };
 * let cached: Promise<string[]> | undefined;
 *
 * export const secrets: SecretSource = {
 *   current: () => {
 *     cached ??= read();
 *     return cached;
 *   },
 *   refresh: () => {
 *     cached = read();
 *     return cached;
 *   },
 * };
 * ```
 */
export interface SecretSource {
  /** The secrets to accept; during a rotation, the new and the old. */
  current(): Promise<string[]> | string[];
  /** Asked after a signature mismatch, before rejecting: fetch again in case the secret rotated. */
  refresh?(): Promise<string[]> | string[];
}

/** A SecretSource whose refresh may decline (undefined): too soon after the last one. */
export interface RateLimitedSource {
  current(): Promise<string[]> | string[];
  refresh?(): Promise<string[] | undefined>;
}

export function secretSource(
  scheme: SchemeSelector,
  secrets: string | string[] | SecretSource,
  refreshIntervalMs: number,
): RateLimitedSource {
  if (typeof secrets === 'string' || Array.isArray(secrets)) {
    const list = usableSecrets(scheme, secrets);
    return { current: () => list };
  }
  if (!secrets || typeof secrets.current !== 'function') {
    throw new TypeError('verifyWebhook: secrets must be a string, a list of strings, or { current(), refresh?() }.');
  }
  const refresh = secrets.refresh?.bind(secrets);
  return {
    current: async () => usableSecrets(scheme, await secrets.current()),
    refresh: refresh ? atMostOncePer(refreshIntervalMs, async () => usableSecrets(scheme, await refresh())) : undefined,
  };
}

/**
 * The rate limit lives here, not in each SecretSource: every forged request is a mismatch, and
 * a source that fetched on each one would let anyone hammer the secrets store.
 */
function atMostOncePer(intervalMs: number, fetch: () => Promise<string[]>): () => Promise<string[] | undefined> {
  let lastAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<string[]> | undefined;
  return async () => {
    if (inFlight) return inFlight;
    if (Date.now() - lastAt < intervalMs) return undefined;
    lastAt = Date.now();
    inFlight = fetch().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
