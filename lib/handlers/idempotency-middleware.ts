import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import { MIN_MARGIN_MS } from '../shared/commit-margin.js';
import { MiddlewareOrderError, NoTimeToCommitError } from '../shared/errors.js';
import { restateForCaller } from './caller-errors.js';
import { answerOf, type IdempotentContext, type ResolvedHandlerOptions, readEvent } from './handler-options.js';
import { lateWriteGuard } from './late-write-guard.js';
import { type OpenDelivery, openDelivery } from './open-delivery.js';
import { guardResponse } from './response-guard.js';

/**
 * What `.use(idempotency(options))` adds to a Middy stack: named `before`, `after` and
 * `onError` functions. Its result type is left open so it fits any handler's.
 *
 * @example
 * ```ts
 * import middy from '@middy/core';
 * import { type IdempotencyMiddleware, type IdempotentContext, idempotency } from 'txonce';
 * import { store } from './store.js';
 *
 * const idempotent: IdempotencyMiddleware<{ id: string }> = idempotency({ store, key: (event) => event.id });
 *
 * export const handler = middy(async (event: { id: string }, context: IdempotentContext) => {
 *   context.tx.put({ TableName: 'orders', Item: { pk: event.id } });
 * }).use(idempotent); // last: nearest the handler
 * ```
 */
export type IdempotencyMiddleware<TEvent> = Required<
  // biome-ignore lint/suspicious/noExplicitAny: Middy's own default for a middleware that fits any result
  Pick<MiddlewareObj<TEvent, any, Error, Context>, 'before' | 'after' | 'onError'>
>;

interface Opened {
  delivery: OpenDelivery<unknown>;
  key: unknown;
  writes: { committing(): void };
  guard: { release(): void };
}

/**
 * `.use(idempotency(options))`: `before` reads the key and fingerprint once and opens the
 * delivery (`context.tx`), `after` commits the handler's answer with the dedup record (or
 * replaces it with the first delivery's), `onError` drops the staged writes. Where Middy would
 * let it answer success without the commit, it refuses with a MiddlewareOrderError instead.
 */
export function idempotencyMiddleware<TEvent, TPayload>(
  options: ResolvedHandlerOptions<TEvent, TPayload>,
): IdempotencyMiddleware<TEvent> {
  const opened = new WeakMap<object, Opened>();
  // Once seen, always: every later request is refused before its handler runs.
  let refusal: MiddlewareOrderError['reason'] | undefined;
  const refuse = (reason: MiddlewareOrderError['reason']) => () => {
    refusal = reason;
    return new MiddlewareOrderError(reason);
  };
  type MiddyRequest = Request<TEvent, unknown, Error, Context>;

  return {
    before: async function idempotencyBefore(request: MiddyRequest) {
      if (refusal) throw new MiddlewareOrderError(refusal);
      const context = request.context as IdempotentContext<TPayload>;
      let key: unknown;
      try {
        const read = await readEvent(options, request.event, context);
        key = read.request.key;
        const delivery = await openDelivery(options.store, read.request);
        const writes = lateWriteGuard(delivery.tx, refuse('late-write'));
        context.payload = read.payload;
        context.tx = writes.tx;
        opened.set(request, { delivery, key, writes, guard: guardResponse(request, refuse('order')) });
      } catch (error) {
        throw restateForCaller(error, key, options);
      }
    },
    after: async function idempotencyAfter(request: MiddyRequest) {
      const open = opened.get(request);
      if (!open) return;
      opened.delete(request);
      open.guard.release();
      // Too close to the deadline to commit: most likely Middy's early timeout answered while the
      // handler still runs, and what it staged so far is only part of its work. Commit nothing.
      const remaining = request.context.getRemainingTimeInMillis?.();
      if (typeof remaining === 'number' && remaining < MIN_MARGIN_MS) {
        await open.delivery.drop();
        throw new NoTimeToCommitError(remaining, MIN_MARGIN_MS);
      }
      open.writes.committing();
      try {
        const outcome = await open.delivery.commit(request.response);
        const answer = answerOf(outcome, request.context as IdempotentContext);
        if (outcome.status === 'duplicate') request.response = answer;
      } catch (error) {
        throw restateForCaller(error, open.key, options);
      }
    },
    onError: async function idempotencyOnError(request: MiddyRequest) {
      // Its `before` never ran (an earlier middleware threw) or failed: nothing to drop.
      const open = opened.get(request);
      if (!open) return;
      opened.delete(request);
      open.guard.release();
      await open.delivery.drop();
    },
  };
}
