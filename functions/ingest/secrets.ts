import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretSource } from '../../lib/index.js';

/**
 * A secret's text as a list: a JSON array of strings (during a rotation: new first, then old)
 * or one secret on its own.
 */
export function parseSecretList(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const list = JSON.parse(trimmed);
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string' && item.length > 0)) {
      throw new TypeError('The webhook secret is a JSON array, but not of non-empty strings.');
    }
    return list;
  }
  return [trimmed];
}

/**
 * Webhook secrets from AWS Secrets Manager: fetched once and cached for the container's life,
 * fetched again when `refresh()` is asked (after a signature mismatch, so a rotation causes no
 * outage). verifyWebhook asks at most once per its `refreshIntervalMs`, so forged requests
 * cannot hammer Secrets Manager.
 */
export function secretsManagerSource(options: { client: SecretsManagerClient; secretId: string }): SecretSource {
  let cached: Promise<string[]> | undefined;
  const fetch = () => {
    const fetching = options.client
      .send(new GetSecretValueCommand({ SecretId: options.secretId }))
      .then(({ SecretString }) => {
        if (!SecretString) throw new TypeError(`Secret ${options.secretId} has no SecretString.`);
        return parseSecretList(SecretString);
      });
    // a failed fetch is not cached: the next request tries again
    fetching.catch(() => {
      if (cached === fetching) cached = undefined;
    });
    cached = fetching;
    return fetching;
  };
  return { current: () => cached ?? fetch(), refresh: fetch };
}
