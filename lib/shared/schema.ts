import { IdempotencyError } from './errors.js';

/**
 * The Standard Schema interface (https://standardschema.dev), which zod, valibot, arktype and
 * others implement as `~standard`. Declared here, so no validator is a dependency of txonce.
 *
 * @example
 * ```ts
 * import { idempotency, type StandardSchemaV1 } from 'txonce';
 * import { store } from './store.js';
 *
 * // zod, valibot and arktype schemas are Standard Schemas already; a hand-written one:
 * const OrderId: StandardSchemaV1<unknown, { id: string }> = {
 *   '~standard': {
 *     version: 1,
 *     vendor: 'example',
 *     validate: (value) =>
 *       typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string'
 *         ? { value: { id: (value as { id: string }).id } }
 *         : { issues: [{ message: 'id must be a string', path: ['id'] }] },
 *   },
 * };
 *
 * export const handler = idempotency({ store, key: (event: { id: string }) => event.id, schema: OrderId }, (_event, context) => {
 *   context.tx.put({ TableName: 'orders', Item: { pk: context.payload.id } });
 * });
 * ```
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    /** Checks a value: the parsed output, or the issues. */
    readonly validate: (value: unknown) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/**
 * What a Standard Schema's `validate` returns: the parsed value, or the issues.
 *
 * @example
 * ```ts
 * import type { StandardSchemaResult } from 'txonce';
 *
 * export const accepted: StandardSchemaResult<number> = { value: 42 };
 * export const rejected: StandardSchemaResult<number> = { issues: [{ message: 'expected a number' }] };
 * ```
 */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaIssue> };

/**
 * One issue a Standard Schema reports: a message and where in the value it is.
 *
 * @example
 * ```ts
 * import type { StandardSchemaIssue } from 'txonce';
 *
 * export const issue: StandardSchemaIssue = { message: 'must be positive', path: ['items', 0, { key: 'quantity' }] };
 * ```
 */
export interface StandardSchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/**
 * One validation issue, as it travels in errors, HTTP bodies and DLQ attributes: plain JSON.
 *
 * @example
 * ```ts
 * import { type PayloadIssue, SchemaValidationError } from 'txonce';
 *
 * export function issuesOf(error: unknown): PayloadIssue[] {
 *   return error instanceof SchemaValidationError ? error.issues : []; // [{ message, path: ['items', 0] }]
 * }
 * ```
 */
export interface PayloadIssue {
  message: string;
  /** where in the payload, e.g. ["items", 0, "sku"]; empty for the payload as a whole */
  path: (string | number)[];
}

/**
 * The payload does not match the handler's schema (or could not be read at all). The work did
 * not run and nothing was written. Never retryable: the same payload fails the same way.
 *
 * @example
 * ```ts
 * import { SchemaValidationError } from 'txonce';
 *
 * export function toHttp(error: unknown) {
 *   if (error instanceof SchemaValidationError) {
 *     return { statusCode: error.statusCode, body: JSON.stringify({ issues: error.issues }) }; // 400
 *   }
 *   throw error;
 * }
 * ```
 */
export class SchemaValidationError extends IdempotencyError {
  /** HTTP meaning, as @middy/http-error-handler reads it: the client sent an invalid body. */
  readonly statusCode = 400;
  readonly expose = true;
  readonly issues: PayloadIssue[];

  constructor(issues: PayloadIssue[], options: { cause?: unknown } = {}) {
    super(`Invalid payload: ${issues.map(describeIssue).join('; ')}`, { retryable: false, cause: options.cause });
    this.name = 'SchemaValidationError';
    this.issues = issues;
  }
}

function describeIssue(issue: PayloadIssue): string {
  return issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

/** Checks once, at construction, that `schema` is a Standard Schema (or left out). */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const standard = (value as { '~standard'?: { validate?: unknown } } | null | undefined)?.['~standard'];
  return typeof standard?.validate === 'function';
}

/**
 * Reads the payload and validates it: the schema's (possibly transformed) output, or a
 * SchemaValidationError. A payload that cannot even be read (a body that is not JSON) is an
 * invalid payload too.
 */
export async function parsePayload<Output>(
  schema: StandardSchemaV1<unknown, Output>,
  read: () => unknown,
): Promise<Output> {
  let payload: unknown;
  try {
    payload = read();
  } catch (error) {
    throw new SchemaValidationError(
      [{ message: `the payload could not be read: ${(error as Error)?.message ?? String(error)}`, path: [] }],
      {
        cause: error,
      },
    );
  }
  let result: StandardSchemaResult<Output>;
  try {
    result = await schema['~standard'].validate(payload);
  } catch (error) {
    // a recursive schema on a payload nested thousands of levels deep: the payload's fault, every time
    if (!isStackOverflow(error)) throw error;
    throw new SchemaValidationError([{ message: 'the payload is nested too deep to validate', path: [] }], {
      cause: error,
    });
  }
  if (result.issues) {
    throw new SchemaValidationError(
      result.issues.map((issue) => ({
        message: issue.message,
        path: (issue.path ?? []).map((segment) => {
          const key = typeof segment === 'object' ? segment.key : segment;
          return typeof key === 'number' ? key : String(key);
        }),
      })),
    );
  }
  return result.value;
}

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}
