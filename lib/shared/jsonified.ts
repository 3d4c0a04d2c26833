/**
 * What a value becomes after JSON.stringify and JSON.parse: a stored result as a duplicate gets
 * it back. A Date (anything with toJSON) becomes what toJSON returns, functions and undefined
 * properties drop out, and in arrays they become null. (`store.run` refuses a result holding a
 * function, or undefined in an array, with an UnstorableResultError: this type also describes
 * JSON that did not come from a result.)
 *
 * @example
 * ```ts
 * import type { Jsonified } from 'txonce';
 *
 * interface Receipt {
 *   invoice: string;
 *   paidAt: Date;
 * }
 * // what a duplicate gets back: the first result after JSON, so the Date is a string
 * export const replayed: Jsonified<Receipt> = { invoice: 'inv_1', paidAt: '2026-11-28T10:00:00.000Z' };
 * ```
 */
export type Jsonified<T> = T extends {
  /** a Date's (or any object's) own JSON form, which JSON.stringify uses instead */
  toJSON(...args: never[]): infer J;
}
  ? Jsonified<J>
  : T extends string | number | boolean | null
    ? T
    : T extends undefined | symbol | ((...args: never[]) => unknown)
      ? undefined
      : T extends readonly (infer E)[]
        ? JsonifiedElement<E>[]
        : T extends object
          ? { [K in keyof T as K extends symbol ? never : T[K] extends Dropped ? never : K]: Jsonified<T[K]> }
          : T;

type Dropped = symbol | ((...args: never[]) => unknown);

type JsonifiedElement<E> = E extends undefined | Dropped ? null : Jsonified<E>;
