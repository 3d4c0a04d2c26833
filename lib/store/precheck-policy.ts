/**
 * When to read the dedup record before the work: always (`true`), never (`false`), or `'auto'`,
 * which follows the share of duplicates this container has seen recently.
 *
 * @example
 * ```ts
 * import type { PrecheckMode } from 'txonce';
 *
 * // a consumer that mostly sees redeliveries: read first, always
 * export const precheck: PrecheckMode = process.env.MOSTLY_REPLAYS === 'true' ? true : 'auto';
 * ```
 */
export type PrecheckMode = boolean | 'auto';

/**
 * How a precheck reads: `'eventual'` costs half a read unit, `'strong'` a whole one.
 *
 * @example
 * ```ts
 * import type { PrecheckRead } from 'txonce';
 *
 * // strong: no miss of a record committed within the last second, at twice the read units
 * export const precheckRead: PrecheckRead = 'strong';
 * ```
 */
export type PrecheckRead = 'eventual' | 'strong';

/** The deliveries `'auto'` remembers, and how many it needs before it decides anything. */
const WINDOW = 100;
const MIN_SAMPLES = 20;
/** On above 1.5x the break-even share, off below 0.75x: a share near it does not flap. */
export const AUTO_ON_FACTOR = 1.5;
const AUTO_OFF_FACTOR = 0.75;
/**
 * A read request unit costs a fifth of a write request unit: on demand ($0.125 against $0.625 per
 * million) and provisioned ($0.00013 against $0.00065 per unit-hour) alike, so the break-even
 * holds whatever the billing mode.
 */
const READ_UNIT_IN_WRITE_UNITS = 1 / 5;
/** Before the first commit is seen: a record and one business item of at most 1 KB each. */
const ASSUMED_TRANSACTION_WRITE_UNITS = 4;
const ASSUMED_RECORD_BYTES = 200;

/**
 * The duplicate share at which a precheck costs what it saves: a read of a record of
 * `recordBytes` on every delivery, against a cancelled transaction of `transactionWriteUnits`
 * on every duplicate.
 */
export function breakEvenShare(recordBytes: number, consistentRead: boolean, transactionWriteUnits: number): number {
  const readUnits = Math.max(1, Math.ceil(recordBytes / 4096)) * (consistentRead ? 1 : 0.5);
  return (readUnits * READ_UNIT_IN_WRITE_UNITS) / transactionWriteUnits;
}

/**
 * Decides, delivery by delivery, whether the store prechecks. A precheck costs a read on every
 * delivery and saves a whole cancelled transaction on every duplicate (DynamoDB bills a
 * cancelled transaction as if it had run: 2 write units per item and KB), so it pays once
 * duplicates are more than `breakEvenShare` of deliveries. The transaction guards every commit
 * either way: this only moves cost, never correctness.
 */
export class PrecheckPolicy {
  readonly #recent: boolean[] = [];
  #duplicates = 0;
  #on: boolean;
  #transactionWriteUnits = ASSUMED_TRANSACTION_WRITE_UNITS;
  #recordBytes = ASSUMED_RECORD_BYTES;

  constructor(
    readonly mode: PrecheckMode,
    readonly read: PrecheckRead,
  ) {
    this.#on = mode === true;
  }

  /** Whether the next delivery is prechecked. */
  get active(): boolean {
    return this.#on;
  }

  get consistentRead(): boolean {
    return this.read === 'strong';
  }

  /**
   * The duplicate share at which a precheck costs what it saves: the read (per delivery) over
   * the cancelled transaction (per duplicate), from the sizes of the commits seen so far.
   */
  get breakEvenShare(): number {
    return breakEvenShare(this.#recordBytes, this.consistentRead, this.#transactionWriteUnits);
  }

  /** The share of duplicates among the deliveries remembered (0 before any). */
  get duplicateShare(): number {
    return this.#recent.length === 0 ? 0 : this.#duplicates / this.#recent.length;
  }

  /** One delivery's outcome: a duplicate (found by the precheck or by the transaction) or a commit. */
  observe(duplicate: boolean): void {
    if (this.mode !== 'auto') return;
    this.#recent.push(duplicate);
    if (duplicate) this.#duplicates++;
    if (this.#recent.length > WINDOW && this.#recent.shift()) this.#duplicates--;
    if (this.#recent.length < MIN_SAMPLES) return;
    const share = this.duplicateShare;
    if (!this.#on && share >= this.breakEvenShare * AUTO_ON_FACTOR) this.#on = true;
    else if (this.#on && share < this.breakEvenShare * AUTO_OFF_FACTOR) this.#on = false;
  }

  /** The size of a commit: what a duplicate's cancelled transaction would cost, and what a read of its record does. */
  observeCommit(transactionWriteUnits: number, recordBytes: number): void {
    // A moving average: the handler's writes may differ from one event to the next.
    this.#transactionWriteUnits = (this.#transactionWriteUnits * 7 + transactionWriteUnits) / 8;
    this.#recordBytes = (this.#recordBytes * 7 + recordBytes) / 8;
  }
}
