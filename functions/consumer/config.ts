/** What the consumer reads from its environment, checked once at cold start. */
export interface ConsumerConfig {
  dedupTable: string;
  invoicesTable: string;
  customersTable: string;
  /** the DLQ for records that can never succeed; without it they are retried to maxReceiveCount */
  deadLetterQueueUrl: string | undefined;
  /** namespace of the idempotency keys */
  source: string;
  /** undefined: durable dedup records */
  ttlSeconds: number | undefined;
}

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`The consumer is misconfigured:\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigError';
  }
}

export function readConsumerConfig(env: NodeJS.ProcessEnv): ConsumerConfig {
  const problems: string[] = [];
  const required = (name: string) => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is not set: the name of the table`);
    return value ?? '';
  };
  const config: ConsumerConfig = {
    dedupTable: required('DEDUP_TABLE'),
    invoicesTable: required('INVOICES_TABLE'),
    customersTable: required('CUSTOMERS_TABLE'),
    deadLetterQueueUrl: env.DLQ_URL?.trim() || undefined,
    source: env.IDEMPOTENCY_SOURCE?.trim() || 'webhooks',
    ttlSeconds: undefined,
  };
  if (config.deadLetterQueueUrl && !/^https?:\/\//.test(config.deadLetterQueueUrl)) {
    problems.push(`DLQ_URL must be the queue's URL (https://sqs...), got "${config.deadLetterQueueUrl}"`);
  }
  if (config.source.includes('#')) problems.push(`IDEMPOTENCY_SOURCE may not contain "#", got "${config.source}"`);
  const ttl = env.IDEMPOTENCY_TTL_SECONDS?.trim();
  if (ttl) {
    const seconds = Number(ttl);
    if (Number.isInteger(seconds) && seconds > 0) config.ttlSeconds = seconds;
    else problems.push(`IDEMPOTENCY_TTL_SECONDS must be a positive whole number of seconds, got "${ttl}"`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
