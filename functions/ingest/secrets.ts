import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretSource } from '../../lib/index.js';
import { parseSecretList } from '../../lib/webhooks/secret-list.js';

// shared with `txonce replay`, which verifies archived webhooks against the same secret
export { parseSecretList };

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
