import type { Jsonified } from '../shared/jsonified.js';

/**
 * What a run resolves to: the first delivery commits, every later one is a duplicate.
 *
 * @example
 * ```ts
 * import type { RunOutcome } from 'txonce';
 *
 * export function describe(outcome: RunOutcome<{ invoice: string }>): string {
 *   if (outcome.status === 'committed') return `applied ${outcome.result.invoice}`;
 *   return `duplicate of a delivery committed at ${outcome.firstSeenAt}`;
 * }
 * ```
 */
export type RunOutcome<R> =
  | { status: 'committed'; result: R }
  | ({
      status: 'duplicate';
      /** when the first delivery committed (ISO 8601) */
      firstSeenAt: string;
    } & StoredResult<R>);

/**
 * The first delivery's result as a duplicate gets it: stored as JSON, so it comes back as its
 * JSON form (a Date as a string), or not at all when it was too large to store.
 *
 * @example
 * ```ts
 * import type { StoredResult } from 'txonce';
 *
 * export function invoiceOf(stored: StoredResult<{ invoice: string }>): string | undefined {
 *   return stored.resultOmitted ? undefined : stored.result.invoice; // omitted: it was too large to store
 * }
 * ```
 */
export type StoredResult<R> =
  | { result: Jsonified<R>; resultOmitted: false }
  | { result: undefined; resultOmitted: true };
