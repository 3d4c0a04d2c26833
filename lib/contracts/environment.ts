// The environment variables that carry settings from the CDK constructs (infra/, which set them)
// to the functions (functions/*/config.ts, which read them) and to the local stack (local/, which
// reads what the synthesized template sets). Named once, here, where all of them may import it.

/**
 * The environment variable that carries the key namespace from the CDK construct to the store:
 * WebhookPipeline sets it on the consumer (its `source` prop), `new Idempotency()` reads it.
 */
export const SOURCE_VARIABLE = 'IDEMPOTENCY_SOURCE';

/**
 * With several sources, WebhookPipeline sets this instead: their names, comma-separated. One
 * consumer serves them all, with a store per source (each message names its source).
 */
export const SOURCES_VARIABLE = 'IDEMPOTENCY_SOURCES';

/** What the ingest function reads: the queue, the signature scheme and its secret, the limits. */
export const INGEST_ENVIRONMENT = {
  queueUrl: 'QUEUE_URL',
  scheme: 'WEBHOOK_SCHEME',
  source: 'WEBHOOK_SOURCE',
  secretId: 'WEBHOOK_SECRET_ID',
  secret: 'WEBHOOK_SECRET',
  maxBodyBytes: 'MAX_BODY_BYTES',
  toleranceSeconds: 'WEBHOOK_TOLERANCE_SECONDS',
  messageGroupPaths: 'MESSAGE_GROUP_PATHS',
  /** several sources instead of the single one above: a JSON array, one entry per source */
  sources: 'WEBHOOK_SOURCES',
  /** the webhook archive's bucket; unset: accepted webhooks are not archived */
  archiveBucket: 'ARCHIVE_BUCKET',
} as const;

/** What the consumer reads: the dedup table and the store's settings, then the example app's own tables. */
export const CONSUMER_ENVIRONMENT = {
  dedupTable: 'DEDUP_TABLE',
  deadLetterQueueUrl: 'DLQ_URL',
  source: SOURCE_VARIABLE,
  sources: SOURCES_VARIABLE,
  ttlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
  outboxTable: 'OUTBOX_TABLE',
  invoicesTable: 'INVOICES_TABLE',
  customersTable: 'CUSTOMERS_TABLE',
  receiptsTopicArn: 'RECEIPTS_TOPIC_ARN',
  receiptsWebhookUrl: 'RECEIPTS_WEBHOOK_URL',
} as const;

/** What the outbox publisher reads. */
export const PUBLISHER_ENVIRONMENT = {
  outboxTable: 'OUTBOX_TABLE',
  failureQueueUrl: 'FAILURE_QUEUE_URL',
  signingSecretId: 'WEBHOOK_SIGNING_SECRET_ID',
  signingSecret: 'WEBHOOK_SIGNING_SECRET',
  maxAttempts: 'PUBLISH_MAX_ATTEMPTS',
  retryWindowSeconds: 'PUBLISH_RETRY_WINDOW_SECONDS',
  ttlAttribute: 'OUTBOX_TTL_ATTRIBUTE',
  deliveredRetentionSeconds: 'DELIVERED_RETENTION_SECONDS',
} as const;

/** Powertools' own variables, which the constructs set on every function. */
export const POWERTOOLS_ENVIRONMENT = {
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;
