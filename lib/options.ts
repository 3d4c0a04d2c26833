import { isStandardSchema } from './schema.js';

/**
 * Option checks shared by every factory: each throws a TypeError that names the factory, the
 * option, what it must be, and what it got. Validated once, at construction.
 */
export interface OptionChecks {
  fail(message: string): never;
  text(name: string, value: unknown): asserts value is string;
  func(name: string, value: unknown, shape: string, optional?: boolean): void;
  wholeNumber(name: string, value: unknown, min: number): asserts value is number;
  nonNegative(name: string, value: unknown, unit: string): asserts value is number;
  store(value: unknown): void;
  schema(value: unknown): void;
}

/** Assertion methods need a declared type: `const check: OptionChecks = optionChecks('owner()')`. */
export function optionChecks(owner: string): OptionChecks {
  const fail = (message: string): never => {
    throw new TypeError(`${owner}: ${message}`);
  };
  return {
    fail,
    /** a non-empty string */
    text(name: string, value: unknown): asserts value is string {
      if (typeof value !== 'string' || value.length === 0) {
        fail(`\`${name}\` must be a non-empty string (got ${JSON.stringify(value)}).`);
      }
    },
    /** a function; `shape` shows its parameters, e.g. "(record) => string" */
    func(name: string, value: unknown, shape: string, optional = false): void {
      if (optional && value === undefined) return;
      if (typeof value !== 'function')
        fail(`\`${name}\` must be a function ${shape}${optional ? ', or left out' : ''}.`);
    },
    /** a whole number >= min */
    wholeNumber(name: string, value: unknown, min: number): asserts value is number {
      if (!(Number.isInteger(value) && (value as number) >= min)) {
        fail(`\`${name}\` must be a whole number >= ${min} (got ${String(value)}).`);
      }
    },
    /** a finite number >= 0, in `unit` */
    nonNegative(name: string, value: unknown, unit: string): asserts value is number {
      if (!(Number.isFinite(value) && (value as number) >= 0)) {
        fail(`\`${name}\` must be a number of ${unit} >= 0 (got ${String(value)}).`);
      }
    },
    /** an Idempotency store (checked by shape, so two copies of the package still agree) */
    store(value: unknown): void {
      if (!value || typeof (value as { run?: unknown }).run !== 'function') {
        fail('`store` must be an Idempotency instance.');
      }
    },
    /** a Standard Schema (`~standard.validate`), or left out */
    schema(value: unknown): void {
      if (value !== undefined && !isStandardSchema(value)) {
        fail('`schema` must be a Standard Schema (a zod, valibot or arktype schema...), or left out.');
      }
    },
  };
}
