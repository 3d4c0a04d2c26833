import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Idempotency } from './idempotency.js';
import type { Tx } from './staged-writes.js';
import type { PendingRun } from './transaction.js';

/**
 * The Lambda context as an idempotent handler sees it: stage business writes on `tx`. Once the
 * middleware is done, `idempotencyStatus` says whether this delivery committed or was a duplicate.
 */
export type IdempotentContext = Context & { tx: Tx; idempotencyStatus?: 'committed' | 'duplicate' };

export interface IdempotencyMiddlewareOptions<TEvent> {
  store: Idempotency;
  /** The event's idempotency key (e.g. a webhook id header). Missing or empty: MissingIdempotencyKeyError. */
  key: (event: TEvent, context: Context) => unknown;
  /** What must match on a repeat of the key (e.g. the body); a mismatch is IdempotencyKeyReuseError. */
  fingerprint?: (event: TEvent) => unknown;
}

/**
 * Middy middleware for single-event handlers. `before` opens a delivery and puts its `tx` on
 * the context; `after` commits the staged writes with the dedup record, and on a duplicate
 * replaces the response with the first delivery's. Use it last, nearest the handler, so
 * the response it stores is the handler's own and other middlewares shape both alike.
 */
export function idempotency<TEvent = unknown, TResult = unknown>(
  options: IdempotencyMiddlewareOptions<TEvent>,
): MiddlewareObj<TEvent, TResult, Error, Context> {
  const { store, key, fingerprint } = options ?? {};
  if (!store || typeof store.begin !== 'function' || typeof store.finish !== 'function')
    throw new TypeError('idempotency(): `store` must be an Idempotency instance.');
  if (typeof key !== 'function')
    throw new TypeError('idempotency(): `key` must be a function (event, context) => string.');
  if (fingerprint !== undefined && typeof fingerprint !== 'function') {
    throw new TypeError('idempotency(): `fingerprint` must be a function (event) => payload, or left out.');
  }

  const pendingRuns = new WeakMap<Request<TEvent, TResult, Error, Context>, PendingRun>();

  return {
    name: 'txonce-idempotency',
    before: async (request) => {
      const pending = store.begin({
        key: key(request.event, request.context),
        fingerprint: fingerprint?.(request.event),
      });
      // with precheck or cache, a known duplicate answers at once and the handler never runs
      const known = await store.knownOutcome<TResult>(pending);
      if (known) {
        (request.context as IdempotentContext).idempotencyStatus = 'duplicate';
        request.earlyResponse = known.result; // Middy >= 6: an own earlyResponse, even undefined, skips the handler
        return;
      }
      pendingRuns.set(request, pending);
      (request.context as IdempotentContext).tx = pending.tx;
    },
    after: async (request) => {
      const pending = pendingRuns.get(request);
      if (!pending) return;
      pendingRuns.delete(request);
      const outcome = await store.finish(pending, request.response ?? undefined);
      (request.context as IdempotentContext).idempotencyStatus = outcome.status;
      if (outcome.status === 'duplicate') request.response = outcome.result as TResult;
    },
    onError: (request) => {
      // Nothing was sent: the staged writes are dropped with the failed delivery.
      pendingRuns.delete(request);
    },
  };
}
