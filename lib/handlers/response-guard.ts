/**
 * Watches `request.response` from the end of the idempotency middleware's `before` until its
 * `after` or `onError` starts. The first write is the handler's answer (Middy sets it once the
 * handler settles). A second one, before that `after`, comes from a middleware nearer the
 * handler: it changed the answer (which a repeat would then get changed twice) or returned
 * early from its `after`, which makes Middy skip the commit and answer as if it had happened.
 * That write throws `misplaced()` instead, so Middy fails the request through `onError`
 * (and the staged writes are dropped) rather than answer success for writes that never
 * committed. Writes while Middy handles an error (`request.error` set) pass.
 */
export function guardResponse(
  request: { response?: unknown; error?: unknown; earlyResponse?: unknown },
  misplaced: () => Error,
): { release(): void } {
  let value = request.response;
  let answered = false;
  let released = false;
  Object.defineProperty(request, 'response', {
    configurable: true,
    enumerable: true,
    get: () => value,
    set(next: unknown) {
      if (!released && answered && next !== undefined && request.error == null) {
        released = true;
        // Middy 6 keeps an early answer through `onError` (and would send it after all): drop it
        delete request.earlyResponse;
        throw misplaced();
      }
      answered = true;
      value = next;
    },
  });
  return {
    release() {
      released = true;
      // a plain property again, as Middy made it
      Object.defineProperty(request, 'response', { value, writable: true, configurable: true, enumerable: true });
    },
  };
}
