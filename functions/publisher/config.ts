import { ConfigError } from '../shared/config-error.js';

export { ConfigError };

/** What the publisher reads from its environment, checked once at cold start. */
export interface PublisherConfig {
  outboxTable: string;
  failureQueueUrl: string | undefined;
  /** Secrets Manager secret with the Standard Webhooks signing secret (whsec_...) */
  signingSecretId: string | undefined;
  /** the signing secret itself, for local use only */
  signingSecret: string | undefined;
  maxAttempts: number;
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
  const maxAttempts = attempts ? Number(attempts) : 3;
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1 && maxAttempts <= 10)) {
    problems.push(`PUBLISH_MAX_ATTEMPTS must be a whole number from 1 to 10, got "${attempts}"`);
  }
  if (problems.length > 0) throw new ConfigError('publisher', problems);
  return { outboxTable, failureQueueUrl, signingSecretId, signingSecret, maxAttempts };
}
