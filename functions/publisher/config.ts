import { PUBLISHER_ENVIRONMENT } from '../../lib/contracts/environment.js';
import { ConfigError } from '../shared/config-error.js';
import { DEFAULT_RETRY_WINDOW_MS } from './publisher.js';

/** What the publisher reads from its environment, checked once at cold start. */
export interface PublisherConfig {
  outboxTable: string;
  failureQueueUrl: string | undefined;
  /** Secrets Manager secret with the Standard Webhooks signing secret (whsec_...) */
  signingSecretId: string | undefined;
  /** the signing secret itself, for local use only */
  signingSecret: string | undefined;
  /** an optional cap on attempts within the retry window */
  maxAttempts: number | undefined;
  retryWindowMs: number;
  /** OUTBOX_TTL_ATTRIBUTE and DELIVERED_RETENTION_SECONDS: when a delivered message expires */
  deliveredExpiry: { attribute: string; seconds: number } | undefined;
}

export function readPublisherConfig(env: NodeJS.ProcessEnv): PublisherConfig {
  const problems: string[] = [];
  const outboxTable = env[PUBLISHER_ENVIRONMENT.outboxTable]?.trim() ?? '';
  if (!outboxTable) problems.push(`${PUBLISHER_ENVIRONMENT.outboxTable} is not set: the name of the outbox table`);
  const failureQueueUrl = env[PUBLISHER_ENVIRONMENT.failureQueueUrl]?.trim() || undefined;
  if (failureQueueUrl && !/^https?:\/\//.test(failureQueueUrl))
    problems.push(`${PUBLISHER_ENVIRONMENT.failureQueueUrl} must be a queue URL, got "${failureQueueUrl}"`);
  const signingSecretId = env[PUBLISHER_ENVIRONMENT.signingSecretId]?.trim() || undefined;
  const signingSecret = env[PUBLISHER_ENVIRONMENT.signingSecret]?.trim() || undefined;
  if (signingSecretId && signingSecret)
    problems.push(
      `set only one of ${PUBLISHER_ENVIRONMENT.signingSecretId} and ${PUBLISHER_ENVIRONMENT.signingSecret}`,
    );
  const attempts = env[PUBLISHER_ENVIRONMENT.maxAttempts]?.trim();
  const maxAttempts = attempts ? Number(attempts) : undefined;
  if (maxAttempts !== undefined && !(Number.isInteger(maxAttempts) && maxAttempts >= 1 && maxAttempts <= 100)) {
    problems.push(`${PUBLISHER_ENVIRONMENT.maxAttempts} must be a whole number from 1 to 100, got "${attempts}"`);
  }
  const window = env[PUBLISHER_ENVIRONMENT.retryWindowSeconds]?.trim();
  const windowSeconds = window ? Number(window) : DEFAULT_RETRY_WINDOW_MS / 1000;
  if (!(Number.isInteger(windowSeconds) && windowSeconds >= 0 && windowSeconds <= 86_400)) {
    problems.push(
      `${PUBLISHER_ENVIRONMENT.retryWindowSeconds} must be a whole number of seconds up to 86400, got "${window}"`,
    );
  }
  const ttlAttribute = env[PUBLISHER_ENVIRONMENT.ttlAttribute]?.trim() || undefined;
  const retention = env[PUBLISHER_ENVIRONMENT.deliveredRetentionSeconds]?.trim();
  const retentionSeconds = retention ? Number(retention) : undefined;
  if (ttlAttribute && !(Number.isInteger(retentionSeconds) && (retentionSeconds as number) > 0)) {
    problems.push(
      `${PUBLISHER_ENVIRONMENT.deliveredRetentionSeconds} must be a positive whole number with ${PUBLISHER_ENVIRONMENT.ttlAttribute}, got "${retention ?? ''}"`,
    );
  }
  if (problems.length > 0) throw new ConfigError('publisher', problems);
  return {
    outboxTable,
    failureQueueUrl,
    signingSecretId,
    signingSecret,
    maxAttempts,
    retryWindowMs: windowSeconds * 1000,
    deliveredExpiry: ttlAttribute ? { attribute: ttlAttribute, seconds: retentionSeconds as number } : undefined,
  };
}
