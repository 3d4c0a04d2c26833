import type { Context } from 'aws-lambda';
import { TransactionLimitError } from '../shared/errors.js';
import type { Jsonified } from '../shared/jsonified.js';
import type { OptionChecks, OptionNames } from '../shared/options.js';
import { parsePayload, type StandardSchemaV1 } from '../shared/schema.js';
import type { Idempotency, RunRequest } from '../store/idempotency.js';
import type { RunOutcome } from '../store/run-outcome.js';
import type { Tx } from '../store/staged-writes.js';
import type { CallerErrorBody } from './caller-errors.js';

// What the handler wrapper and the Middy middleware share: their options, the context the
// handler sees, reading one event's key, fingerprint and payload, and answering a repeat.

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
  /**
   * Shapes the body of the HTTP errors the caller can act on (400 no key or invalid payload,
   * 409 a business condition failed, 422 key reused): return a string, or an object sent as
   * JSON (e.g. RFC 9457 problem details). Default: the caller-facing sentence as plain text.
   */
  httpErrorBody?: CallerErrorBody;
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

/** The options of either form, checked once at construction, with the defaults filled in. */
export interface ResolvedHandlerOptions<TEvent, TPayload> {
  store: Idempotency;
  key: (event: TEvent, context: Context) => unknown;
  fingerprint: ((event: TEvent) => unknown) | undefined;
  schema: StandardSchemaV1<unknown, TPayload> | undefined;
  payload: (event: TEvent) => unknown;
  httpErrorBody: CallerErrorBody | undefined;
}

export function resolveHandlerOptions<TEvent, TPayload>(
  check: OptionChecks,
  options: IdempotencyHandlerOptions<TEvent, TPayload>,
): ResolvedHandlerOptions<TEvent, TPayload> {
  if (!options || typeof options !== 'object') check.fail('options { store, key, fingerprint? } are required.');
  check.knownNames(options, IDEMPOTENCY_HANDLER_OPTIONS);
  const { store, key, fingerprint, schema, payload = (event: TEvent) => event, httpErrorBody } = options;
  check.store(store);
  check.func('key', key, '(event, context) => string');
  check.func('fingerprint', fingerprint, '(event) => payload', true);
  check.schema(schema);
  check.func('payload', payload, '(event) => the value the schema validates', true);
  check.func('httpErrorBody', httpErrorBody, '(error) => string or object', true);
  return { store, key, fingerprint, schema, payload, httpErrorBody };
}

/** One event read once: its validated payload and its key and fingerprint, fixed from here on. */
export interface ReadEvent<TPayload> {
  payload: TPayload;
  request: RunRequest;
}

/**
 * Validates the payload (before anything runs or is written), then reads the key and the
 * fingerprint, once: what a middleware later in the stack does to the event (a body parser)
 * cannot change them.
 */
export async function readEvent<TEvent, TPayload>(
  options: ResolvedHandlerOptions<TEvent, TPayload>,
  event: TEvent,
  context: Context,
): Promise<ReadEvent<TPayload>> {
  const { schema, payload, key, fingerprint } = options;
  const parsed = (schema ? await parsePayload(schema, () => payload(event)) : undefined) as TPayload;
  return { payload: parsed, request: { key: key(event, context), fingerprint: fingerprint?.(event) } };
}

/** The answer to give: the handler's result, or on a repeat the stored one. */
export function answerOf<TResult>(
  outcome: RunOutcome<TResult>,
  context: IdempotentContext<unknown>,
): IdempotentResult<TResult> {
  context.idempotencyStatus = outcome.status;
  if (outcome.status === 'duplicate' && outcome.resultOmitted) {
    // Answering "nothing" would pass for a response (an API Gateway 502, an empty reply): say why.
    throw new TransactionLimitError(
      `This repeats a delivery${outcome.firstSeenAt ? ` first seen ${outcome.firstSeenAt}` : ''} ` +
        'whose result was too large to store, so it cannot be replayed. Return a smaller result, ' +
        'or set resultTooLarge: "error" on the store to refuse oversized results on the first delivery.',
    );
  }
  return outcome.result as IdempotentResult<TResult>;
}

// The names these options take, checked at runtime by `knownNames` (JavaScript callers have no
// compiler); typed OptionNames<…>, so a name added to or dropped from the type fails to compile here.

const IDEMPOTENCY_HANDLER_OPTIONS: OptionNames<IdempotencyHandlerOptions<unknown, unknown>> = {
  store: true,
  key: true,
  fingerprint: true,
  schema: true,
  payload: true,
  httpErrorBody: true,
};
