import type { Tx } from '../store/staged-writes.js';

/**
 * The `tx` the handler gets from the middleware. A write staged once `after` has begun to
 * commit means the commit did not follow the handler's return: Middy answered before the
 * handler settled (its early timeout, with a `timeoutEarlyResponse` that answers), or the
 * handler did not await its work. That write throws `late()`. After a drop (`onError`), writes
 * go on to the dropped tx, which is never sent: harmless.
 */
export function lateWriteGuard(tx: Tx, late: () => Error): { tx: Tx; committing(): void } {
  let committing = false;
  const checked =
    <TWrite, TResult>(stage: (write: TWrite) => TResult) =>
    (write: TWrite): TResult => {
      if (committing) throw late();
      return stage(write);
    };
  return {
    tx: {
      put: checked((write) => tx.put(write)),
      update: checked((write) => tx.update(write)),
      delete: checked((write) => tx.delete(write)),
      conditionCheck: checked((write) => tx.conditionCheck(write)),
      emit: checked((message) => tx.emit(message)),
    },
    committing() {
      committing = true;
    },
  };
}
