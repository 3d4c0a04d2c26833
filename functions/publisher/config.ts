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
  const outboxTable = env.OUTBOX_TABLE?.trim() ?? '';
  if (!outboxTable) problems.push('OUTBOX_TABLE is not set: the name of the outbox table');
  const failureQueueUrl = env.FAILURE_QUEUE_URL?.trim() || undefined;
  if (failureQueueUrl && !/^https?:\/\//.test(failureQueueUrl))
    problems.push(`FAILURE_QUEUE_URL must be a queue URL, got "${failureQueueUrl}"`);
  const signingSecretId = env.WEBHOOK_SIGNING_SECRET_ID?.trim() || undefined;
  const signingSecret = env.WEBHOOK_SIGNING_SECRET?.trim() || undefined;
  if (signingSecretId && signingSecret)
    problems.push('set only one of WEBHOOK_SIGNING_SECRET_ID and WEBHOOK_SIGNING_SECRET');
  const attempts = env.PUBLISH_MAX_ATTEMPTS?.trim();
  const maxAttempts = attempts ? Number(attempts) : undefined;
  if (maxAttempts !== undefined && !(Number.isInteger(maxAttempts) && maxAttempts >= 1 && maxAttempts <= 100)) {
    problems.push(`PUBLISH_MAX_ATTEMPTS must be a whole number from 1 to 100, got "${attempts}"`);
  }
  const window = env.PUBLISH_RETRY_WINDOW_SECONDS?.trim();
  const windowSeconds = window ? Number(window) : DEFAULT_RETRY_WINDOW_MS / 1000;
  if (!(Number.isInteger(windowSeconds) && windowSeconds >= 0 && windowSeconds <= 86_400)) {
    problems.push(`PUBLISH_RETRY_WINDOW_SECONDS must be a whole number of seconds up to 86400, got "${window}"`);
  }
  const ttlAttribute = env.OUTBOX_TTL_ATTRIBUTE?.trim() || undefined;
  const retention = env.DELIVERED_RETENTION_SECONDS?.trim();
  const retentionSeconds = retention ? Number(retention) : undefined;
  if (ttlAttribute && !(Number.isInteger(retentionSeconds) && (retentionSeconds as number) > 0)) {
    problems.push(
      `DELIVERED_RETENTION_SECONDS must be a positive whole number with OUTBOX_TTL_ATTRIBUTE, got "${retention ?? ''}"`,
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
