import { CONSUMER_ENVIRONMENT } from '../../lib/contracts/environment.js';
import type { Destination } from '../../lib/index.js';
import { pipelineSources } from '../../lib/store/store-namespace.js';
import { ConfigError } from '../shared/config-error.js';

/** What the consumer reads from its environment, checked once at cold start. */
export interface ConsumerConfig {
  dedupTable: string;
  invoicesTable: string;
  customersTable: string;
  /** the DLQ for records that can never succeed; without it they are retried to maxReceiveCount */
  deadLetterQueueUrl: string | undefined;
  /** namespace of the idempotency keys */
  source: string;
  /** a pipeline with several sources (IDEMPOTENCY_SOURCES): a store each, picked by the message's source */
  sources: string[] | undefined;
  /** undefined: durable dedup records */
  ttlSeconds: number | undefined;
  /** the outbox table `tx.emit()` writes to; required to emit receipts */
  outboxTable: string | undefined;
  /** where a receipt for each paid invoice goes, if anywhere */
  receipts: Destination | undefined;
}

export function readConsumerConfig(env: NodeJS.ProcessEnv): ConsumerConfig {
  const problems: string[] = [];
  const required = (name: string) => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is not set: the name of the table`);
    return value ?? '';
  };
  const config: ConsumerConfig = {
    dedupTable: required(CONSUMER_ENVIRONMENT.dedupTable),
    invoicesTable: required(CONSUMER_ENVIRONMENT.invoicesTable),
    customersTable: required(CONSUMER_ENVIRONMENT.customersTable),
    deadLetterQueueUrl: env[CONSUMER_ENVIRONMENT.deadLetterQueueUrl]?.trim() || undefined,
    source: env[CONSUMER_ENVIRONMENT.source]?.trim() || 'webhooks',
    sources: pipelineSources(env),
    ttlSeconds: undefined,
    outboxTable: env[CONSUMER_ENVIRONMENT.outboxTable]?.trim() || undefined,
    receipts: undefined,
  };
  const topicArn = env[CONSUMER_ENVIRONMENT.receiptsTopicArn]?.trim();
  const webhookUrl = env[CONSUMER_ENVIRONMENT.receiptsWebhookUrl]?.trim();
  if (topicArn && webhookUrl)
    problems.push(
      `set only one of ${CONSUMER_ENVIRONMENT.receiptsTopicArn} and ${CONSUMER_ENVIRONMENT.receiptsWebhookUrl}`,
    );
  if (topicArn) config.receipts = { kind: 'sns', topicArn };
  if (webhookUrl) {
    if (!/^https?:\/\//.test(webhookUrl))
      problems.push(`${CONSUMER_ENVIRONMENT.receiptsWebhookUrl} must be an http(s) URL, got "${webhookUrl}"`);
    config.receipts = { kind: 'webhook', url: webhookUrl };
  }
  if (config.receipts && !config.outboxTable)
    problems.push(`receipts are emitted through the outbox: set ${CONSUMER_ENVIRONMENT.outboxTable} too`);
  if (config.deadLetterQueueUrl && !/^https?:\/\//.test(config.deadLetterQueueUrl)) {
    problems.push(
      `${CONSUMER_ENVIRONMENT.deadLetterQueueUrl} must be the queue's URL (https://sqs...), got "${config.deadLetterQueueUrl}"`,
    );
  }
  if (config.source.includes('#'))
    problems.push(`${CONSUMER_ENVIRONMENT.source} may not contain "#", got "${config.source}"`);
  const ttl = env[CONSUMER_ENVIRONMENT.ttlSeconds]?.trim();
  if (ttl) {
    const seconds = Number(ttl);
    if (Number.isInteger(seconds) && seconds > 0) config.ttlSeconds = seconds;
    else problems.push(`${CONSUMER_ENVIRONMENT.ttlSeconds} must be a positive whole number of seconds, got "${ttl}"`);
  }
  if (problems.length > 0) throw new ConfigError('consumer', problems);
  return config;
}
