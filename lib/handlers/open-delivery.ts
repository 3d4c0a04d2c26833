import type { Idempotency, RunRequest } from '../store/idempotency.js';
import type { RunOutcome } from '../store/run-outcome.js';
import { StagedWrites, type Tx } from '../store/staged-writes.js';

/**
 * One delivery held open between a Middy `before` and its `after` or `onError`: `store.run`
 * has started and waits for the handler's result, so the commit (precheck, cache, conflict
 * retries) is exactly the wrapper's.
 */
export interface OpenDelivery<R> {
  /** where the handler stages its writes */
  tx: Tx;
  /** with `precheck` or `cache`: already known to be a duplicate; its `tx` is never sent */
  known: RunOutcome<R> | undefined;
  /** commits the staged writes with this result (or finds the first delivery's) */
  commit(result: R): Promise<RunOutcome<R>>;
  /** drops the staged writes: nothing is written, the key is not spent */
  drop(): Promise<void>;
}

export async function openDelivery<R>(store: Idempotency, request: RunRequest): Promise<OpenDelivery<R>> {
  let settle: (result: R) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const handlerSettled = new Promise<R>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  let started: (tx: Tx) => void = () => undefined;
  const workStarted = new Promise<Tx>((resolve) => {
    started = resolve;
  });
  const run = store.run(request, (tx) => {
    started(tx);
    return handlerSettled;
  });
  // Refused before the work starts (no key, a precheck that failed): `before` throws that.
  const opened = await Promise.race([workStarted.then((tx) => ({ tx })), run.then((known) => ({ known }))]);
  if ('known' in opened) {
    return {
      tx: new StagedWrites({ tableName: NEVER_SENT, recordKey: NEVER_SENT }), // takes what the handler stages, emit too
      known: opened.known,
      commit: async () => opened.known,
      drop: async () => undefined,
    };
  }
  return {
    tx: opened.tx,
    known: undefined,
    commit: (result) => {
      settle(result);
      return run;
    },
    drop: async () => {
      fail(new Error('dropped'));
      await run.catch(() => undefined);
    },
  };
}

/** A known duplicate's writes are dropped: its tx takes an outbox message as the first delivery's did. */
const NEVER_SENT = 'never sent';
