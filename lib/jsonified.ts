/**
 * What a value becomes after JSON.stringify and JSON.parse: a stored result as a duplicate gets
 * it back. A Date (anything with toJSON) becomes what toJSON returns, functions and undefined
 * properties drop out, and in arrays they become null.
 */
export type Jsonified<T> = T extends { toJSON(...args: never[]): infer J }
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
