export {
  BusinessConditionError,
  IdempotencyError,
  IdempotencyKeyReuseError,
  MissingIdempotencyKeyError,
  type StagedWriteRef,
  ThrottlingError,
  TransactionConflictError,
  TransactionLimitError,
} from './errors.js';
export { Idempotency, type IdempotencyOptions, type RunRequest } from './idempotency.js';
export { type IdempotencyMiddlewareOptions, type IdempotentContext, idempotency } from './middleware.js';
export { fingerprintOf, recordKey } from './record.js';
export { defaultSqsKey, type SqsBatchHandlerOptions, sqsBatchHandler } from './sqs.js';
export type { ConditionCheckWrite, DeleteWrite, PutWrite, Tx, UpdateWrite } from './staged-writes.js';
export type { PendingRun, RunOutcome } from './transaction.js';
