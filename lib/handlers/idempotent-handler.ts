import type { Context } from 'aws-lambda';
import { type OptionChecks, optionChecks } from '../shared/options.js';
import type {
  IdempotencyHandlerOptions,
  IdempotentContext,
  IdempotentResult,
  InvocationOptions,
} from './handler-options.js';
import { resolveHandlerOptions } from './handler-options.js';
import { wrapHandler } from './handler-wrapper.js';
import { type IdempotencyMiddleware, idempotencyMiddleware } from './idempotency-middleware.js';

export type {
  IdempotencyHandlerOptions,
  IdempotentContext,
  IdempotentResult,
  InvocationOptions,
} from './handler-options.js';
export type { IdempotencyMiddleware } from './idempotency-middleware.js';

/**
 * Makes a single-event handler (API Gateway, EventBridge, direct invoke) idempotent: it stages
 * writes on `context.tx`, and they commit with the dedup record once it has returned; a repeat
 * of the key gets the first delivery's result. Use it as the handler of a Middy stack
 * (`middy().use(...).handler(idempotency(options, handler))`) or as a Lambda handler on its own.
 *
 * Called without the handler, it is a Middy middleware instead: `.use(idempotency(options))`,
 * used last (nearest the handler). The wrapper is the safer form: its commit is tied to the
 * handler settling, whatever the other middlewares do (docs/middleware.md compares them).
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
): (event: TEvent, context: Context, invocation?: InvocationOptions) => Promise<IdempotentResult<TResult>>;
/**
 * The Middy middleware form: `middy(handler).use(idempotency(options))`, used last. `before`
 * puts `tx` (and `payload`) on the context, `after` commits the handler's answer with the
 * dedup record or answers a repeat with the first one, `onError` drops the staged writes.
 *
 * @example
 * ```ts
 * import middy from '@middy/core';
 * import type { EventBridgeEvent } from 'aws-lambda';
 * import { type IdempotentContext, idempotency } from 'txonce';
 * import { store } from './store.js';
 *
 * type OrderPlaced = EventBridgeEvent<'OrderPlaced', { id: string }>;
 *
 * export const handler = middy(async (event: OrderPlaced, context: IdempotentContext) => {
 *   context.tx.put({ TableName: 'orders', Item: { pk: event.detail.id } });
 * }).use(idempotency({ store, key: (event: OrderPlaced) => event.id })); // last: nearest the handler
 * ```
 */
export function idempotency<TEvent = unknown, TPayload = undefined>(
  options: IdempotencyHandlerOptions<TEvent, TPayload>,
): IdempotencyMiddleware<TEvent>;
export function idempotency<TEvent, TResult, TPayload>(
  options: IdempotencyHandlerOptions<TEvent, TPayload>,
  handler?: (
    event: TEvent,
    context: IdempotentContext<TPayload>,
    invocation: InvocationOptions,
  ) => Promise<TResult> | TResult,
) {
  const check: OptionChecks = optionChecks('idempotency()');
  const resolved = resolveHandlerOptions(check, options);
  if (handler === undefined) return idempotencyMiddleware(resolved);
  check.func(
    'handler',
    handler,
    '(event, context) => result: idempotency(options, handler), or idempotency(options) to .use() it',
  );
  return wrapHandler(resolved, handler);
}
