import type { DeadLetterOptions } from './dead-letter.js';
import type { IdempotencyHandlerOptions } from './handler-options.js';
import type { IdempotencyOptions } from './idempotency.js';
import type { OptionNames } from './options.js';
import type { Destination, OutboxMessage } from './outbox.js';
import type { SqsBatchHandlerOptions } from './sqs.js';
import type { StreamBatchHandlerOptions } from './stream-batch.js';
import type { VerifyWebhookOptions, verifyWebhookSignature } from './verify-webhook.js';

// The names each public options object takes, checked at runtime by `knownNames` (options.ts).
// Typed OptionNames<…>: a name added to or dropped from an options type fails to compile here.

export const IDEMPOTENCY_OPTIONS: OptionNames<IdempotencyOptions> = {
  client: true,
  tableName: true,
  source: true,
  ttlSeconds: true,
  ttlAttribute: true,
  maxAttempts: true,
  retryBaseDelayMs: true,
  maxResultBytes: true,
  resultTooLarge: true,
  outboxTable: true,
  precheck: true,
  precheckRead: true,
  cache: true,
};

export const CACHE_OPTIONS: OptionNames<Exclude<IdempotencyOptions['cache'], boolean | undefined>> = {
  maxEntries: true,
};

export const IDEMPOTENCY_HANDLER_OPTIONS: OptionNames<IdempotencyHandlerOptions<unknown, unknown>> = {
  store: true,
  key: true,
  fingerprint: true,
  schema: true,
  payload: true,
  httpErrorBody: true,
};

export const SQS_BATCH_OPTIONS: OptionNames<SqsBatchHandlerOptions<unknown, unknown>> = {
  store: true,
  handler: true,
  schema: true,
  payload: true,
  key: true,
  fingerprint: true,
  concurrency: true,
  deadLetter: true,
  timeMarginMs: true,
  onOutcome: true,
};

export const DEAD_LETTER_OPTIONS: OptionNames<DeadLetterOptions> = { client: true, queueUrl: true };

export const STREAM_BATCH_OPTIONS: OptionNames<StreamBatchHandlerOptions<unknown, unknown, unknown>> = {
  store: true,
  handler: true,
  key: true,
  fingerprint: true,
  schema: true,
  payload: true,
  timeMarginMs: true,
  onOutcome: true,
};

export const VERIFY_WEBHOOK_OPTIONS: OptionNames<VerifyWebhookOptions> = {
  scheme: true,
  secrets: true,
  toleranceSeconds: true,
  refreshIntervalMs: true,
  url: true,
};

export const VERIFY_SIGNATURE_INPUT: OptionNames<Parameters<typeof verifyWebhookSignature>[0]> = {
  scheme: true,
  secrets: true,
  headers: true,
  rawBody: true,
  toleranceSeconds: true,
  url: true,
  now: true,
};

export const OUTBOX_MESSAGE: OptionNames<OutboxMessage> = { destination: true, type: true, payload: true };

/** A destination's names by kind: `kind`, its address, and what else that kind takes. */
export const DESTINATION_OPTIONS: { [K in Destination['kind']]: OptionNames<Extract<Destination, { kind: K }>> } = {
  eventbridge: { kind: true, busName: true, source: true },
  sns: { kind: true, topicArn: true },
  sqs: { kind: true, queueUrl: true },
  webhook: { kind: true, url: true },
};
