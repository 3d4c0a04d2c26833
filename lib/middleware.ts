import type { Context } from 'aws-lambda';
import { TransactionLimitError } from './errors.js';
import type { Idempotency } from './idempotency.js';
import type { Jsonified } from './jsonified.js';
import { IDEMPOTENCY_HANDLER_OPTIONS } from './option-names.js';
import { type OptionChecks, optionChecks } from './options.js';
import { parsePayload, type StandardSchemaV1 } from './schema.js';
import type { Tx } from './staged-writes.js';

/**
 * The Lambda context as an idempotent handler sees it: stage business writes on `tx`. Once the
 * delivery is decided, `idempotencyStatus` says whether it committed or was a duplicate (set
 * before any Middy `after` runs, so middlewares can read it).
 *
 * @example
 * ```ts
 * import type { IdempotentContext } from 'txonce';
 * import { idempotency } from 'txonce';
 * import { store } from './store.js';
 *
 * async function placeOrder(event: { id: string }, context: IdempotentContext) {
 *   context.tx.put({ TableName: 'orders', Item: { pk: event.id } }); // commits once the handler returned
 *   return { id: event.id };
 * }
 *
 * export const handler = idempotency({ store, key: (event: { id: string }) => event.id }, placeOrder);
 * // afterwards (e.g. in a Middy `after`), context.idempotencyStatus is 'committed' or 'duplicate'
 * ```
 */
export type IdempotentContext<TPayload = unknown> = Context & {
  tx: Tx;
  idempotencyStatus?: 'committed' | 'duplicate';
  /** With a `schema`: the payload as the schema parsed it (typed). Without one: undefined. */
  payload: TPayload;
};

/**
 * Options of `idempotency(options, handler)`: the store, how to read the key and the fingerprint
 * from the event, and an optional payload schema.
 *
 * @example
 * ```ts
 * import type { EventBridgeEvent } from 'aws-lambda';
 * import { type IdempotencyHandlerOptions, idempotency } from 'txonce';
 * import { store } from './store.js';
 *
 * type OrderPlaced = EventBridgeEvent<'OrderPlaced', { id: string; quantity: number }>;
 *
 * const options: IdempotencyHandlerOptions<OrderPlaced> = {
 *   store,
 *   key: (event) => event.id,
 *   fingerprint: (event) => event.detail, // a repeat of the key with another detail: IdempotencyKeyReuseError
 * };
 *
 * export const handler = idempotency(options, async (event, context) => {
 *   context.tx.put({ TableName: 'orders', Item: { pk: event.detail.id, quantity: event.detail.quantity } });
 * });
 * ```
 */
export interface IdempotencyHandlerOptions<TEvent, TPayload = undefined> {
  store: Idempotency;
  /** The event's idempotency key (e.g. a webhook id header). Missing or empty: MissingIdempotencyKeyError (HTTP 400). */
  key: (event: TEvent, context: Context) => unknown;
  /** What must match on a repeat of the key (e.g. the body); a mismatch is IdempotencyKeyReuseError (HTTP 422). */
  fingerprint?: (event: TEvent) => unknown;
  /**
   * A Standard Schema (zod, valibot, arktype...) the payload must match before the handler runs;
   * the handler gets the parsed value as `context.payload`. An invalid payload is a
   * SchemaValidationError (HTTP 400, with the issues), and nothing runs or is written.
   */
  schema?: StandardSchemaV1<unknown, TPayload>;
  /**
   * What the schema validates. Default: the event itself (direct invoke, Step Functions, or the
   * `detail` of EventBridge: pass `(event) => event.detail`). For API Gateway without a body
   * parser: `(event) => JSON.parse(event.body ?? '')`; if it throws, that is an invalid payload too.
   */
  payload?: (event: TEvent) => unknown;
}

/**
 * What Middy passes a handler as its third argument: the signal it aborts on its early timeout.
 *
 * @example
 * ```ts
 * import { idempotency, type InvocationOptions } from 'txonce';
 * import { store } from './store.js';
 *
 * export const handler = idempotency(
 *   { store, key: (event: { id: string }) => event.id },
 *   async (event, context, invocation: InvocationOptions) => {
 *     // Middy aborts the signal on its early timeout: nothing commits after that
 *     if (invocation.signal?.aborted) throw new Error('timed out');
 *     context.tx.put({ TableName: 'orders', Item: { pk: event.id } });
 *   },
 * );
 * ```
 */
export interface InvocationOptions {
  signal?: AbortSignal;
}

/**
 * The handler's own result on the first delivery; on a repeat, the stored first result, which
 * went through JSON (a Date comes back as a string).
 *
 * @example
 * ```ts
 * import type { IdempotentResult } from 'txonce';
 *
 * interface Created {
 *   id: string;
 *   at: Date;
 * }
 * // the first delivery gets the handler's own result, a repeat the stored one (at is then a string)
 * export function createdAt(result: IdempotentResult<Created>): string {
 *   return typeof result.at === 'string' ? result.at : result.at.toISOString();
 * }
 * ```
 */
export type IdempotentResult<TResult> = TResult | Jsonified<TResult>;

/**
 * Makes a single-event handler (API Gateway, EventBridge, direct invoke) idempotent: it stages
 * writes on `context.tx`, and they commit with the dedup record once it has returned; a repeat
 * of the key gets the first delivery's result. Use it as the handler of a Middy stack
 * (`middy().use(...).handler(idempotency(options, handler))`) or as a Lambda handler on its own.
 *
 * It wraps the handler instead of being a middleware so that the commit is tied to the handler
 * settling: a repeat answers through every middleware's `after` like the first delivery did,
 * no middleware returning early can drop the staged writes, and nothing commits for a handler
 * Middy abandoned on its early timeout.
 *
 * @example
 * ```ts
 * import type { EventBridgeEvent } from 'aws-lambda';
 * import { idempotency } from 'txonce';
 * import { store } from './store.js';
 *
 * // a Lambda handler on its own; with Middy: middy().use(...).handler(idempotency(options, handler))
 * export const handler = idempotency(
 *   { store, key: (event: EventBridgeEvent<'OrderPlaced', { id: string }>) => event.id },
 *   async (event, context) => {
 *     context.tx.put({ TableName: 'orders', Item: { pk: event.detail.id } });
 *     return { accepted: event.detail.id };
 *   },
 * );
 * ```
 */
export function idempotency<TEvent = unknown, TResult = unknown, TPayload = undefined>(
  options: IdempotencyHandlerOptions<TEvent, TPayload>,
  handler: (
    event: TEvent,
    context: IdempotentContext<TPayload>,
    invocation: InvocationOptions,
  ) => Promise<TResult> | TResult,
): (event: TEvent, context: Context, invocation?: InvocationOptions) => Promise<IdempotentResult<TResult>> {
  const check: OptionChecks = optionChecks('idempotency()');
  if (!options || typeof options !== 'object') check.fail('options { store, key, fingerprint? } are required.');
  check.knownNames(options, IDEMPOTENCY_HANDLER_OPTIONS);
  const { store, key, fingerprint, schema, payload = (event: TEvent) => event } = options;
  check.store(store);
  check.func('key', key, '(event, context) => string');
  check.func('fingerprint', fingerprint, '(event) => payload', true);
  check.schema(schema);
  check.func('payload', payload, '(event) => the value the schema validates', true);
  check.func(
    'handler',
    handler,
    '(event, context) => result, passed as the second argument: idempotency(options, handler)',
  );

  return async function idempotentHandler(event, context, invocation = {}) {
    const idempotent = context as IdempotentContext<TPayload>;
    // Validated before anything else: an invalid payload runs nothing and writes nothing.
    idempotent.payload = (schema ? await parsePayload(schema, () => payload(event)) : undefined) as TPayload;
    const outcome = await store.run({ key: key(event, context), fingerprint: fingerprint?.(event) }, async (tx) => {
      idempotent.tx = tx;
      const result = await handler(event, idempotent, invocation);
      // Middy has already answered with its early timeout: the caller was told it did not
      // complete, so nothing commits (the staged writes are dropped, a retry runs it again).
      invocation.signal?.throwIfAborted();
      return result;
    });
    idempotent.idempotencyStatus = outcome.status;
    if (outcome.status === 'duplicate' && outcome.resultOmitted) {
      // Answering "nothing" would pass for a response (an API Gateway 502, an empty reply): say why.
      throw new TransactionLimitError(
        `This repeats a delivery${outcome.firstSeenAt ? ` first seen ${outcome.firstSeenAt}` : ''} ` +
          'whose result was too large to store, so it cannot be replayed. Return a smaller result, ' +
          'or set resultTooLarge: "error" on the store to refuse oversized results on the first delivery.',
      );
    }
    return outcome.result;
  };
}
