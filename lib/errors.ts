/**
 * Every error txonce throws on its own account extends IdempotencyError.
 * `retryable` tells a consumer whether delivering the same event again can succeed:
 * true for contention and throttling, false for input that will fail the same way every time.
 */
export class IdempotencyError extends Error {
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    // Names are written out, not taken from the constructor: minifiers rename classes.
    this.name = 'IdempotencyError';
    this.retryable = options.retryable;
  }
}

/** The key was delivered before with a different payload (fingerprint). Never retryable. */
export class IdempotencyKeyReuseError extends IdempotencyError {
  /** HTTP meaning, as @middy/http-error-handler reads it: the request conflicts with the key's first one. */
  readonly statusCode = 422;
  readonly expose = true;
  readonly recordKey: string;
  readonly firstSeenAt: string | undefined;

  constructor(recordKey: string, firstSeenAt: string | undefined) {
    super(
      `Idempotency key "${recordKey}" was already used with a different payload` +
        `${firstSeenAt ? ` (first seen ${firstSeenAt})` : ''}. ` +
        'A key must identify one event: give each distinct event its own key.',
      { retryable: false },
    );
    this.name = 'IdempotencyKeyReuseError';
    this.recordKey = recordKey;
    this.firstSeenAt = firstSeenAt;
  }
}

/** No usable idempotency key: missing, empty or not a string. Never retryable. */
export class MissingIdempotencyKeyError extends IdempotencyError {
  /** HTTP meaning, as @middy/http-error-handler reads it: the client sent no usable key. */
  readonly statusCode = 400;
  readonly expose = true;

  constructor(detail: string, options: { cause?: unknown } = {}) {
    super(`No idempotency key: ${detail}. Pass a non-empty string key (the producer's event id is best).`, {
      retryable: false,
      cause: options.cause,
    });
    this.name = 'MissingIdempotencyKeyError';
  }
}

/** Which staged write a cancellation reason points at. */
export interface StagedWriteRef {
  /** position among the writes the handler staged, from 0 */
  index: number;
  action: 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
  tableName: string;
  /** the item's key where the write names one (Put: the whole item is the key's source) */
  key: Record<string, unknown> | undefined;
}

/**
 * A condition the handler put on one of its own staged writes failed. Nothing was written
 * (the dedup record neither), so the event is not marked handled. Retryable: in event
 * consumers the usual cause is order (an "invoice.paid" before its "invoice.created"), which
 * a later delivery fixes; a handler that knows the event can never apply throws PermanentError.
 */
export class BusinessConditionError extends IdempotencyError {
  readonly write: StagedWriteRef;
  /** the item as it was, when the write asked for ReturnValuesOnConditionCheckFailure: ALL_OLD */
  readonly item: Record<string, unknown> | undefined;

  constructor(write: StagedWriteRef, reason: string, item: Record<string, unknown> | undefined, cause: unknown) {
    super(
      `The condition on staged write #${write.index} (${write.action} on ${write.tableName}` +
        `${write.key ? ` ${JSON.stringify(write.key)}` : ''}) failed: ${reason}. ` +
        'Nothing was written; the event is not marked as handled.',
      { retryable: true, cause },
    );
    this.name = 'BusinessConditionError';
    this.write = write;
    this.item = item;
  }
}

/**
 * The transaction breaks a DynamoDB limit (actions, size, one action per item) or a staged
 * write is malformed. Checked before the network where it can be; nothing was written.
 */
export class TransactionLimitError extends IdempotencyError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retryable: false, cause: options.cause });
    this.name = 'TransactionLimitError';
  }
}

/** Concurrent transactions kept conflicting after the bounded retries. Retry the event later. */
export class TransactionConflictError extends IdempotencyError {
  readonly attempts: number;

  constructor(attempts: number, cause: unknown) {
    super(
      `The transaction conflicted with concurrent writes ${attempts} times in a row; nothing was written. ` +
        'Deliver the event again later.',
      { retryable: true, cause },
    );
    this.name = 'TransactionConflictError';
    this.attempts = attempts;
  }
}

/** DynamoDB throttled the transaction (after the SDK's own retries). Retry the event later. */
export class ThrottlingError extends IdempotencyError {
  constructor(cause: unknown) {
    super(
      'DynamoDB throttled the transaction. Deliver the event again later (a repeat is safe), ' +
        'or raise the table capacity.',
      { retryable: true, cause },
    );
    this.name = 'ThrottlingError';
  }
}

/**
 * Thrown by a handler for an event that can never succeed (malformed, unknown, refused by a
 * rule that will not change). sqsBatchHandler sends such records straight to the DLQ when it
 * has one, instead of letting them burn every retry.
 */
export class PermanentError extends IdempotencyError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retryable: false, cause: options.cause });
    this.name = 'PermanentError';
  }
}

/** Why a webhook was refused; the 401 body names it and nothing more. */
export type WebhookRejection = 'missing-header' | 'malformed-header' | 'bad-signature' | 'timestamp-out-of-tolerance';

/** A webhook failed verification: answer 401 (400 for a malformed header), enqueue nothing. */
export class WebhookVerificationError extends IdempotencyError {
  readonly reason: WebhookRejection;
  readonly statusCode: 400 | 401;

  constructor(reason: WebhookRejection, detail: string) {
    super(`Webhook rejected (${reason}): ${detail}`, { retryable: false });
    this.name = 'WebhookVerificationError';
    this.reason = reason;
    this.statusCode = reason === 'malformed-header' ? 400 : 401;
  }
}

/** A fingerprint payload that canonical JSON cannot represent faithfully (a Map, a cycle...). Never retryable. */
export class UnfingerprintablePayloadError extends IdempotencyError {
  constructor(detail: string) {
    super(
      `Cannot fingerprint the payload: ${detail}. Pass JSON data (plain objects, arrays, strings, numbers, ` +
        'booleans, null; a Map as Object.fromEntries(map)).',
      { retryable: false },
    );
    this.name = 'UnfingerprintablePayloadError';
  }
}
