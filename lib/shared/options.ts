import { distance } from 'fastest-levenshtein';
import { isStandardSchema } from './schema.js';

/**
 * Every option name an options object takes, as a record (`{ client: true, ... }`): typed
 * `OptionNames<TheOptions>`, the compiler keeps it complete and free of names the type lacks.
 */
export type OptionNames<T> = { readonly [K in keyof Required<T>]: true };

/**
 * Option checks shared by every factory: each throws a TypeError that names the factory, the
 * option, what it must be, and what it got. Validated once, at construction.
 */
export interface OptionChecks {
  fail(message: string): never;
  /** `options` has no option outside `names`; `path` prefixes nested ones ("deadLetter"). */
  knownNames(options: unknown, names: Readonly<Record<string, true>>, path?: string): void;
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
    /** JavaScript callers have no compiler: a misspelled option would otherwise be silently ignored. */
    knownNames(options: unknown, names: Readonly<Record<string, true>>, path?: string): void {
      if (!options || typeof options !== 'object') return;
      const known = Object.keys(names);
      const unknown = Object.keys(options).filter((name) => !Object.hasOwn(names, name));
      if (unknown.length === 0) return;
      const [name] = unknown;
      const qualified = (option: string) => `\`${path ? `${path}.` : ''}${option}\``;
      const close = closestName(name, known);
      fail(
        `${qualified(name)} is not an option${close ? `; did you mean ${qualified(close)}?` : '.'} ` +
          `Rename or remove it (the options are ${known.join(', ')}).`,
      );
    },
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

/**
 * The known name a misspelling most likely meant: the same name in another case, one a few
 * edits away (about a third of its letters), or one it begins or ends (`ttl` for `ttlSeconds`,
 * `body` for `rawBody`); the fewest edits wins.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const typed = name.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const lower = candidate.toLowerCase();
    const edits = distance(typed, lower);
    const near = edits <= Math.max(2, Math.ceil(typed.length / 3));
    const part = typed.length >= 3 && (lower.startsWith(typed) || lower.endsWith(typed) || typed.startsWith(lower));
    if ((near || part) && (!best || edits < best.distance)) best = { name: candidate, distance: edits };
  }
  return best?.name;
}
