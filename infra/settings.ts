/**
 * Settings that the CDK stack and the local stack must agree on. A plain module with no
 * CDK or AWS imports, so both read the same values.
 */
export const DEDUP_TABLE = {
  /** the dedup table's string partition key (txonce records are keyed "<source>#<key>") */
  partitionKey: 'pk',
  /** the TTL attribute, epoch seconds; written only when a store sets ttlSeconds */
  ttlAttribute: 'expiresAt',
} as const;

/** The event queue and its DLQ. */
export const EVENT_QUEUE = {
  /** receives before SQS moves a message to the DLQ */
  maxReceiveCount: 5,
  /** at least 6x the consumer's timeout, as AWS advises for Lambda event sources */
  consumerTimeoutSeconds: 30,
  visibilityTimeoutSeconds: 180,
  /** the DLQ keeps messages longer than the queue, so nothing expires before it is looked at */
  retentionDays: 4,
  deadLetterRetentionDays: 14,
} as const;

/** The example consumer's business tables (invoices, customers) share the dedup table's key shape. */
export const BUSINESS_TABLES = {
  partitionKey: 'pk',
} as const;

/** The outbox table: string partition key (the message id), a NEW_IMAGE stream. */
export const OUTBOX = {
  partitionKey: 'pk',
} as const;

/** The webhook endpoint: largest body accepted (SQS takes 1 MiB with attributes; 256 KiB leaves room). */
export const WEBHOOK_ENDPOINT = {
  maxBodyBytes: 256 * 1024,
} as const;
