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
  visibilityTimeoutSeconds: 180,
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

/**
 * FIFO queues: where the ingest finds the entity an event is about, as dot paths into the
 * verified JSON body, tried in order. Events about one entity share a message group (ordered,
 * one at a time); unrelated entities run in parallel, and a poison message blocks only its group.
 * An event with none of them gets a group of its own (its idempotency key): no order, no blocking.
 */
export const MESSAGE_GROUP_PATHS = {
  stripe: ['data.object.customer', 'data.object.id'],
  github: ['repository.id', 'organization.id', 'installation.id'],
  'standard-webhooks': ['data.id'],
} as const satisfies Record<'standard-webhooks' | 'stripe' | 'github', readonly string[]>;

/** The webhook endpoint: largest body accepted (SQS takes 1 MiB with attributes; 256 KiB leaves room). */
export const WEBHOOK_ENDPOINT = {
  maxBodyBytes: 256 * 1024,
} as const;
