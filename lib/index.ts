/**
 * `txonce`: exactly-once effects for AWS Lambda webhook and queue consumers. The dedup record
 * commits in the same DynamoDB `TransactWriteItems` as the business writes.
 *
 * Start with {@link Idempotency} (the store and `run`), {@link idempotency} (a single-event
 * handler), {@link sqsBatchHandler} (SQS batches) and {@link verifyWebhook} (webhooks in).
 *
 * @module txonce
 */

export {
  DEAD_LETTER_ATTRIBUTES,
  type DeadLetterOptions,
  type DeadLetterReason,
  readDeadLetterReason,
} from './batch/dead-letter.js';
export {
  type DynamoDBStreamBatchHandlerOptions,
  type DynamoDBStreamRecordOutcome,
  defaultDynamoDBStreamKey,
  dynamodbStreamBatchHandler,
  streamImage,
} from './batch/dynamodb-streams.js';
export {
  defaultKinesisKey,
  type KinesisBatchHandlerOptions,
  type KinesisRecordOutcome,
  kinesisBatchHandler,
  kinesisJson,
} from './batch/kinesis.js';
export { type FailureReason, type RecordOutcome, type SqsBatchHandlerOptions, sqsBatchHandler } from './batch/sqs.js';
export { defaultSqsKey, jsonBody } from './batch/sqs-messages.js';
export { type SqsBatchHandler, sqsBatchHandlerPerSource } from './batch/sqs-per-source.js';
export type { StreamBatchResponse, StreamFailureReason, StreamRecordOutcome } from './batch/stream-batch.js';
export { type CallerError, type CallerErrorBody, headerKey } from './handlers/caller-errors.js';
export {
  type IdempotencyHandlerOptions,
  type IdempotencyMiddleware,
  type IdempotentContext,
  type IdempotentResult,
  type InvocationOptions,
  idempotency,
} from './handlers/idempotent-handler.js';
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
} from './shared/errors.js';
export { lowerCaseHeaders } from './shared/headers.js';
export type { Jsonified } from './shared/jsonified.js';
export {
  type PayloadIssue,
  SchemaValidationError,
  type StandardSchemaIssue,
  type StandardSchemaResult,
  type StandardSchemaV1,
} from './shared/schema.js';
export { fingerprintOf, recordKey } from './store/dedup-key.js';
export { Idempotency, type IdempotencyOptions, type PrecheckedBatch, type RunRequest } from './store/idempotency.js';
export { type Destination, type OutboxItem, type OutboxMessage, outboxMessageId } from './store/outbox.js';
export type { PrecheckMode, PrecheckRead } from './store/precheck-policy.js';
export type { RunOutcome, StoredResult } from './store/run-outcome.js';
export type { ConditionCheckWrite, DeleteWrite, PutWrite, Tx, UpdateWrite } from './store/staged-writes.js';
export {
  type ChallengeDefinition,
  type EventIdSource,
  type HmacSchemeDefinition,
  HmacSchemeDefinitionError,
  parseHmacScheme,
  type SignatureFormat,
  type SignedPart,
  type TimestampSource,
} from './webhooks/hmac-scheme-definition.js';
export { type WebhookPreset, webhookPresets } from './webhooks/presets.js';
export { requestUrl } from './webhooks/request-url.js';
export {
  resolveWebhookScheme,
  type SchemeSelector,
  type VerifiedWebhook,
  type WebhookScheme,
  webhookSchemeFromText,
} from './webhooks/schemes.js';
export type { SecretSource } from './webhooks/secret-source.js';
export { rawBodyOf, usableSecrets, verifyWebhookSignature } from './webhooks/signature.js';
export {
  type VerifiedWebhookEvent,
  type VerifyWebhookOptions,
  verifyWebhook,
} from './webhooks/verify-webhook-middleware.js';
