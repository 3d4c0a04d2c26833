import type { Context } from 'aws-lambda';
import { restateForCaller } from './caller-errors.js';
import {
  answerOf,
  type IdempotentContext,
  type IdempotentResult,
  type InvocationOptions,
  type ResolvedHandlerOptions,
  readEvent,
} from './handler-options.js';

/** The handler as `idempotency(options, handler)` receives it. */
export type IdempotentHandler<TEvent, TResult, TPayload> = (
  event: TEvent,
  context: IdempotentContext<TPayload>,
  invocation: InvocationOptions,
) => Promise<TResult> | TResult;

/**
 * `idempotency(options, handler)`: the commit is tied to the handler settling, so a repeat
 * answers through every Middy `after` like the first delivery, no middleware returning early
 * can drop the staged writes, and nothing commits for a handler Middy abandoned on its early
 * timeout.
 */
export function wrapHandler<TEvent, TResult, TPayload>(
  options: ResolvedHandlerOptions<TEvent, TPayload>,
  handler: IdempotentHandler<TEvent, TResult, TPayload>,
): (event: TEvent, context: Context, invocation?: InvocationOptions) => Promise<IdempotentResult<TResult>> {
  return async function idempotentHandler(event, context, invocation = {}) {
    const idempotent = context as IdempotentContext<TPayload>;
    let key: unknown;
    let handlerError: unknown;
    try {
      const read = await readEvent(options, event, context);
      key = read.request.key;
      idempotent.payload = read.payload;
      const outcome = await options.store.run(read.request, async (tx) => {
        idempotent.tx = tx;
        try {
          const result = await handler(event, idempotent, invocation);
          // Middy has already answered with its early timeout: the caller was told it did not
          // complete, so nothing commits (the staged writes are dropped, a retry runs it again).
          invocation.signal?.throwIfAborted();
          return result;
        } catch (error) {
          handlerError = error;
          throw error;
        }
      });
      return answerOf(outcome, idempotent);
    } catch (error) {
      // the handler's own errors are the developer's to word
      throw error === handlerError ? error : restateForCaller(error, key, options);
    }
  };
}
