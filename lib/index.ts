/**
 * `txonce`: exactly-once effects for AWS Lambda webhook and queue consumers. The dedup record
 * commits in the same DynamoDB `TransactWriteItems` as the business writes.
 *
 * Start with {@link Idempotency} (the store and `run`), {@link idempotency} (a single-event
 * handler), {@link sqsBatchHandler} (SQS batches) and {@link verifyWebhook} (webhooks in).
 *
 * @module txonce
 */
export { type CallerError, type CallerErrorBody, headerKey } from './caller-errors.js';
export {
  DEAD_LETTER_ATTRIBUTES,
  type DeadLetterOptions,
  type DeadLetterReason,
  readDeadLetterReason,
} from './dead-letter.js';
export {
  type DynamoDBStreamBatchHandlerOptions,
  type DynamoDBStreamRecordOutcome,
  defaultDynamoDBStreamKey,
  dynamodbStreamBatchHandler,
  streamImage,
} from './dynamodb-streams.js';
export {
  AccessDeniedError,
  BusinessConditionError,
  IdempotencyError,
  IdempotencyKeyReuseError,
  MiddlewareOrderError,
  MissingIdempotencyKeyError,
  NoTimeToCommitError,
  PermanentError,
  type StagedWriteRef,
  TableNotFoundError,
  ThrottlingError,
  TransactionConflictError,
  TransactionLimitError,
  UnfingerprintablePayloadError,
  UnstorableResultError,
  type WebhookRejection,
  WebhookVerificationError,
} from './errors.js';
export {
  type ChallengeDefinition,
  type EventIdSource,
  type HmacSchemeDefinition,
  HmacSchemeDefinitionError,
  parseHmacScheme,
  type SignatureFormat,
  type SignedPart,
  type TimestampSource,
} from './hmac-scheme-definition.js';
export { Idempotency, type IdempotencyOptions, type PrecheckedBatch, type RunRequest } from './idempotency.js';
export type { Jsonified } from './jsonified.js';
export {
  defaultKinesisKey,
  type KinesisBatchHandlerOptions,
  type KinesisRecordOutcome,
  kinesisBatchHandler,
  kinesisJson,
} from './kinesis.js';
export {
  type IdempotencyHandlerOptions,
  type IdempotencyMiddleware,
  type IdempotentContext,
  type IdempotentResult,
  type InvocationOptions,
  idempotency,
} from './middleware.js';
export { type Destination, type OutboxItem, type OutboxMessage, outboxMessageId } from './outbox.js';
export type { PrecheckMode, PrecheckRead } from './precheck-policy.js';
export { fingerprintOf, recordKey } from './record.js';
export { requestUrl } from './request-url.js';
export {
  type PayloadIssue,
  SchemaValidationError,
  type StandardSchemaIssue,
  type StandardSchemaResult,
  type StandardSchemaV1,
} from './schema.js';
export { type FailureReason, type RecordOutcome, type SqsBatchHandlerOptions, sqsBatchHandler } from './sqs.js';
export { defaultSqsKey, jsonBody } from './sqs-records.js';
export type { ConditionCheckWrite, DeleteWrite, PutWrite, Tx, UpdateWrite } from './staged-writes.js';
export type { StreamBatchResponse, StreamFailureReason, StreamRecordOutcome } from './stream-batch.js';
export type { RunOutcome, StoredResult } from './transaction.js';
export {
  lowerCaseHeaders,
  rawBodyOf,
  type SecretSource,
  usableSecrets,
  type VerifiedWebhookEvent,
  type VerifyWebhookOptions,
  verifyWebhook,
  verifyWebhookSignature,
} from './verify-webhook.js';
export { type WebhookPreset, webhookPresets } from './webhook-presets.js';
export {
  resolveWebhookScheme,
  type SchemeSelector,
  type VerifiedWebhook,
  type WebhookScheme,
  webhookSchemeFromText,
} from './webhook-schemes.js';
