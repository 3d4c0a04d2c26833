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
  /** the queue's visibility timeout is 6x this plus the batching window, as AWS advises for Lambda event sources */
  consumerTimeoutSeconds: 30,
  /**
   * Most concurrent consumer invocations the event source mapping starts (SQS allows 2 to 1000).
   * 10 invocations x 10 records = 100 transactions in flight: enough to drain a backlog quickly
   * without a redrive taking the account's whole Lambda concurrency (1,000 by default).
   */
  maxConcurrency: 10,
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
  /** TTL attribute (epoch seconds) the publisher sets on a delivered message, so the table does not grow without bound */
  ttlAttribute: 'expiresAt',
  /** how long a delivered message stays in the table (for inspection) before DynamoDB deletes it */
  deliveredRetentionDays: 7,
} as const;

/** The webhook endpoint: largest body accepted (SQS takes 1 MiB with attributes; 256 KiB leaves room). */
export const WEBHOOK_ENDPOINT = {
  maxBodyBytes: 256 * 1024,
} as const;
