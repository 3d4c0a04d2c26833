/**
 * Every error txonce throws on its own account extends IdempotencyError.
 * `retryable` tells a consumer whether delivering the same event again can succeed:
 * true for contention and throttling, false for input that will fail the same way every time.
 *
 * @example
 * ```ts
 * import { IdempotencyError } from 'txonce';
 * import { store } from './store.js';
 *
 * export async function apply(event: { id: string }) {
 *   try {
 *     return await store.run({ key: event.id }, () => 'done');
 *   } catch (error) {
 *     if (error instanceof IdempotencyError && error.retryable) throw error; // let the caller retry
 *     console.error('will never apply', error);
 *     return undefined;
 *   }
 * }
 * ```
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

/**
 * The key was delivered before with a different payload (fingerprint). Never retryable.
 *
 * @example
 * ```ts
 * import { IdempotencyKeyReuseError } from 'txonce';
 * import { store } from './store.js';
 *
 * export async function charge(key: string, body: { amount: number }) {
 *   try {
 *     return await store.run({ key, fingerprint: body }, () => ({ charged: body.amount }));
 *   } catch (error) {
 *     if (error instanceof IdempotencyKeyReuseError) return { statusCode: 422 }; // same key, other body
 *     throw error;
 *   }
 * }
 * ```
 */
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

/**
 * No usable idempotency key: missing, empty, or neither a string nor a finite number. Never retryable.
 *
 * @example
 * ```ts
 * import { MissingIdempotencyKeyError } from 'txonce';
 * import { store } from './store.js';
 *
 * export async function submit(headers: Record<string, string | undefined>) {
 *   try {
 *     return await store.run({ key: headers['idempotency-key'] }, () => 'ok');
 *   } catch (error) {
 *     if (error instanceof MissingIdempotencyKeyError) return { statusCode: error.statusCode }; // 400
 *     throw error;
 *   }
 * }
 * ```
 */
export class MissingIdempotencyKeyError extends IdempotencyError {
  /** HTTP meaning, as @middy/http-error-handler reads it: the client sent no usable key. */
  readonly statusCode = 400;
  readonly expose = true;

  /** `got`: the key is there but unusable (an object, NaN...): the message says what it is instead of "no key". */
  constructor(detail: string, options: { cause?: unknown; got?: string } = {}) {
    super(
      options.got === undefined
        ? `No idempotency key: ${detail}. Pass a non-empty string key (the producer's event id is best).`
        : `The idempotency key must be a non-empty string or a finite number, not ${options.got}. ` +
            "Pass the producer's event id (e.g. event.id), not the whole event.",
      { retryable: false, cause: options.cause },
    );
    this.name = 'MissingIdempotencyKeyError';
  }
}

/**
 * Which staged write a cancellation reason points at.
 *
 * @example
 * ```ts
 * import { BusinessConditionError, type StagedWriteRef } from 'txonce';
 *
 * export function whichWrite(error: unknown): StagedWriteRef | undefined {
 *   return error instanceof BusinessConditionError ? error.write : undefined; // { index, action, tableName, key }
 * }
 * ```
 */
export interface StagedWriteRef {
  /** position among the writes the handler staged, from 0 */
  index: number;
  action: 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
  tableName: string;
  /**
   * the item's key; for a Put, the item's attributes that another staged action on the table
   * names as its Key, or that the Put's condition tests for existence (`attribute_not_exists(pk)`)
   */
  key: Record<string, unknown> | undefined;
}

/**
 * A condition the handler put on one of its own staged writes failed. Nothing was written
 * (the dedup record neither), so the event is not marked handled. Retryable: in event
 * consumers the usual cause is order (an "invoice.paid" before its "invoice.created"), which
 * a later delivery fixes; a handler that knows the event can never apply throws PermanentError.
 *
 * @example
 * ```ts
 * import { BusinessConditionError } from 'txonce';
 * import { store } from './store.js';
 *
 * export async function ship(order: { id: string }) {
 *   try {
 *     return await store.run({ key: `ship-${order.id}` }, (tx) => {
 *       tx.update({
 *         TableName: 'orders',
 *         Key: { pk: order.id },
 *         UpdateExpression: 'SET #s = :shipped',
 *         ConditionExpression: '#s = :paid', // your own rule
 *         ExpressionAttributeNames: { '#s': 'status' },
 *         ExpressionAttributeValues: { ':shipped': 'shipped', ':paid': 'paid' },
 *         ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
 *       });
 *     });
 *   } catch (error) {
 *     // not a duplicate: nothing was written and the key is not spent, so a later delivery may succeed
 *     if (error instanceof BusinessConditionError) console.warn(error.write.tableName, error.item);
 *     throw error;
 *   }
 * }
 * ```
 */
export class BusinessConditionError extends IdempotencyError {
  readonly write: StagedWriteRef;
  /** the item as it was, when the write asked for ReturnValuesOnConditionCheckFailure: ALL_OLD */
  readonly item: Record<string, unknown> | undefined;

  constructor(write: StagedWriteRef, reason: string, item: Record<string, unknown> | undefined, cause: unknown) {
    const key = write.key
      ? ` ${JSON.stringify(write.key)}`
      : write.action === 'Put'
        ? ', its key not named by the write'
        : '';
    super(
      `The condition on staged write #${write.index} (${write.action} on ${write.tableName}${key}) failed: ${reason}. ` +
        'Nothing was written; the event is not marked as handled. A later delivery may succeed (an earlier ' +
        'event applied first); if this one never can, throw a PermanentError from the handler instead.',
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
 *
 * @example
 * ```ts
 * import { TransactionLimitError } from 'txonce';
 * import { store } from './store.js';
 *
 * export async function importRows(batchId: string, rows: { id: string }[]) {
 *   try {
 *     return await store.run({ key: batchId }, (tx) => {
 *       for (const row of rows) tx.put({ TableName: 'rows', Item: { pk: row.id } }); // at most 99
 *     });
 *   } catch (error) {
 *     if (error instanceof TransactionLimitError) console.error('split the batch:', error.message);
 *     throw error;
 *   }
 * }
 * ```
 */
export class TransactionLimitError extends IdempotencyError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retryable: false, cause: options.cause });
    this.name = 'TransactionLimitError';
  }
}

/**
 * Concurrent transactions kept conflicting after the bounded retries. Retry the event later.
 *
 * @example
 * ```ts
 * import { TransactionConflictError } from 'txonce';
 *
 * export function shouldRetryLater(error: unknown): boolean {
 *   return error instanceof TransactionConflictError; // retryable: still conflicting after maxAttempts
 * }
 * ```
 */
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

/**
 * DynamoDB throttled the transaction (after the SDK's own retries). Retry the event later.
 *
 * @example
 * ```ts
 * import { ThrottlingError } from 'txonce';
 *
 * export function isThrottled(error: unknown): boolean {
 *   return error instanceof ThrottlingError && error.retryable; // always retryable
 * }
 * ```
 */
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
 * DynamoDB has no table by a name the transaction used, where the client looked: a typo, another
 * region or account, a stack not deployed yet. Nothing was written. Not retryable: delivering
 * the event again fails the same way until the table or the configuration is fixed.
 *
 * @example
 * ```ts
 * import { TableNotFoundError } from 'txonce';
 * import { store } from './store.js';
 *
 * export async function apply(event: { id: string }) {
 *   try {
 *     return await store.run({ key: event.id }, () => 'done');
 *   } catch (error) {
 *     if (error instanceof TableNotFoundError) console.error('not deployed here?', error.tableNames); // dedup table first
 *     throw error;
 *   }
 * }
 * ```
 */
export class TableNotFoundError extends IdempotencyError {
  /** the tables the request used, the dedup table first: DynamoDB does not say which one is missing */
  readonly tableNames: string[];

  constructor(tableNames: string[], cause: unknown) {
    const [dedup, ...others] = tableNames.map((name) => `"${name}"`);
    const which = others.length ? `${dedup} (the dedup table) or ${others.join(' or ')}` : `${dedup} (the dedup table)`;
    super(
      `DynamoDB has no table ${which} where the client looked. Nothing was written. ` +
        "Check the table name and the client's region, account and endpoint; IdempotencyTable or " +
        'WebhookPipeline from txonce/cdk creates a dedup table (string partition key "pk").',
      { retryable: false, cause },
    );
    this.name = 'TableNotFoundError';
    this.tableNames = tableNames;
  }
}

/**
 * AWS refused the transaction: the function's role may not make one of its writes (IAM, or a
 * KMS key policy). Nothing was written. Not retryable: delivering the event again fails the same
 * way until the role changes, so in an SQS batch with a DLQ the record goes there at once, with
 * AWS's words in its reason; redrive it once the grant is there.
 *
 * @example
 * ```ts
 * import { AccessDeniedError } from 'txonce';
 * import { store } from './store.js';
 *
 * export async function apply(event: { id: string }) {
 *   try {
 *     return await store.run({ key: event.id }, () => 'done');
 *   } catch (error) {
 *     if (error instanceof AccessDeniedError) console.error('grant the role', error.action, 'on', error.resource);
 *     throw error;
 *   }
 * }
 * ```
 */
export class AccessDeniedError extends IdempotencyError {
  /** the action AWS refused (e.g. `dynamodb:PutItem`), when its message names one */
  readonly action: string | undefined;
  /** the resource it refused it on, when its message names one */
  readonly resource: string | undefined;

  constructor(cause: unknown) {
    const said = String((cause as Error)?.message ?? '').replace(/\.$/, '');
    const [, action, resource] = /perform: (\S+) on resource: (\S+)/.exec(said) ?? [];
    const grant =
      action && resource
        ? `Grant the function's role ${action} on ${resource}`
        : "Grant the function's role what the transaction does";
    super(`AWS refused the transaction: ${said}. Nothing was written. ${grant}, then redrive the event.`, {
      retryable: false,
      cause,
    });
    this.name = 'AccessDeniedError';
    this.action = action;
    this.resource = resource;
  }
}

/**
 * Thrown by a handler for an event that can never succeed (malformed, unknown, refused by a
 * rule that will not change). sqsBatchHandler sends such records straight to the DLQ when it
 * has one, instead of letting them burn every retry.
 *
 * @example
 * ```ts
 * import { PermanentError, sqsBatchHandler } from 'txonce';
 * import { store } from './store.js';
 *
 * export const handler = sqsBatchHandler({
 *   store,
 *   handler: (record) => {
 *     if (!record.body.startsWith('{')) throw new PermanentError('not an event'); // straight to the DLQ
 *   },
 * });
 * ```
 */
export class PermanentError extends IdempotencyError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retryable: false, cause: options.cause });
    this.name = 'PermanentError';
  }
}

/**
 * Why a webhook was refused; the 401 body names it and nothing more.
 *
 * @example
 * ```ts
 * import { type WebhookRejection, WebhookVerificationError } from 'txonce';
 *
 * export function rejection(error: unknown): WebhookRejection | undefined {
 *   return error instanceof WebhookVerificationError ? error.reason : undefined;
 * }
 * ```
 */
export type WebhookRejection = 'missing-header' | 'malformed-header' | 'bad-signature' | 'timestamp-out-of-tolerance';

/**
 * A webhook failed verification: answer 401 (400 for a malformed header), enqueue nothing.
 *
 * @example
 * ```ts
 * import { verifyWebhookSignature, WebhookVerificationError } from 'txonce';
 *
 * export function check(headers: Record<string, string | undefined>, rawBody: Buffer) {
 *   try {
 *     return verifyWebhookSignature({ scheme: 'github', secrets: process.env.SECRET ?? '', headers, rawBody });
 *   } catch (error) {
 *     if (error instanceof WebhookVerificationError) return { statusCode: error.statusCode, reason: error.reason };
 *     throw error;
 *   }
 * }
 * ```
 */
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

/**
 * The handler's result would not come back the same from JSON, so a duplicate could not be
 * given it (a Map replays as `{}`): refused on the first delivery, before anything is written.
 * Never retryable: the same event returns the same kind of result.
 *
 * @example
 * ```ts
 * import { UnstorableResultError } from 'txonce';
 * import { store } from './store.js';
 *
 * export async function totals(event: { id: string }) {
 *   try {
 *     return await store.run({ key: event.id }, () => Object.fromEntries(new Map([['cus_1', 1250]]))); // not the Map
 *   } catch (error) {
 *     if (error instanceof UnstorableResultError) console.error(error.message); // nothing was written
 *     throw error;
 *   }
 * }
 * ```
 */
export class UnstorableResultError extends IdempotencyError {
  constructor(detail: string, options: { cause?: unknown } = {}) {
    super(
      `The handler's result cannot be stored for duplicates to replay: ${detail}. Nothing was written. ` +
        'Return JSON data (plain objects, arrays, strings, numbers, booleans, null; a Map as ' +
        'Object.fromEntries(map), a BigInt as a string).',
      { retryable: false, cause: options.cause },
    );
    this.name = 'UnstorableResultError';
  }
}

/**
 * A fingerprint payload that canonical JSON cannot represent faithfully (a Map, a cycle...). Never retryable.
 *
 * @example
 * ```ts
 * import { fingerprintOf, UnfingerprintablePayloadError } from 'txonce';
 *
 * export function safeFingerprint(payload: unknown): string | undefined {
 *   try {
 *     return fingerprintOf(payload);
 *   } catch (error) {
 *     if (error instanceof UnfingerprintablePayloadError) return undefined; // a Map, a Set, a cycle...
 *     throw error;
 *   }
 * }
 * ```
 */
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

/**
 * The `.use(idempotency(options))` middleware cannot keep its guarantee in this Middy stack:
 * `'order'`, a middleware nearer the handler changed the answer or answered early before the
 * commit (nothing was written); `'late-write'`, the handler staged a write after the commit
 * had begun (Middy answered its early timeout before the handler returned). From then on the
 * middleware refuses every request. Never retryable: the Middy stack must change.
 *
 * @example
 * ```ts
 * import { MiddlewareOrderError } from 'txonce';
 *
 * export function isMisplaced(error: unknown): boolean {
 *   return error instanceof MiddlewareOrderError; // move .use(idempotency(options)) last, or wrap the handler
 * }
 * ```
 */
export class MiddlewareOrderError extends IdempotencyError {
  readonly reason: 'order' | 'late-write';

  constructor(reason: 'order' | 'late-write' = 'order') {
    super(
      reason === 'order'
        ? 'The idempotency(options) middleware must be used last, nearest the handler: a middleware used after it ' +
            'changed the handler’s answer or answered early from its `after`, before idempotency() could commit. ' +
            'Nothing was written. Move .use(idempotency(options)) after every other .use(), or wrap the handler ' +
            'instead: middy().use(...).handler(idempotency(options, handler)).'
        : 'The handler staged a write after the idempotency(options) middleware had begun to commit: Middy answered ' +
            'before the handler returned (its early timeout, with a timeoutEarlyResponse that answers), or the ' +
            'handler did not await its work. A middleware cannot see Middy’s timeout; wrap the handler instead, ' +
            'middy().use(...).handler(idempotency(options, handler)), which commits nothing for a handler that has ' +
            'not returned. Until then this middleware refuses every request.',
      { retryable: false },
    );
    this.name = 'MiddlewareOrderError';
    this.reason = reason;
  }
}

/**
 * The `.use(idempotency(options))` middleware got the handler's answer with less time left than
 * a commit needs (200 ms): most likely Middy's early timeout answered (a `timeoutEarlyResponse`
 * that returns) while the handler still runs, so its staged writes may be half of what it meant.
 * Nothing was written; the invocation fails and the event can be delivered again. Retryable.
 *
 * @example
 * ```ts
 * import { NoTimeToCommitError } from 'txonce';
 *
 * export function cutShort(error: unknown): boolean {
 *   return error instanceof NoTimeToCommitError; // give the function more time, or wrap the handler
 * }
 * ```
 */
export class NoTimeToCommitError extends IdempotencyError {
  constructor(remainingMs: number, floorMs: number) {
    super(
      `Only ${remainingMs} ms were left when the handler's answer reached the idempotency(options) middleware: ` +
        `too little to commit (it needs ${floorMs} ms), and most likely Middy's early timeout answered while the ` +
        'handler still runs. Nothing was written; the event can be delivered again. Give the function more time, or ' +
        'wrap the handler to answer on the early timeout: middy().use(...).handler(idempotency(options, handler)).',
      { retryable: true },
    );
    this.name = 'NoTimeToCommitError';
  }
}
