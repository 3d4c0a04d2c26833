import { BusinessConditionError, IdempotencyKeyReuseError, MissingIdempotencyKeyError } from '../shared/errors.js';
import { lowerCaseHeaders } from '../shared/headers.js';

/**
 * An error as the API caller sees it: the HTTP status and the sentence written for them.
 *
 * @example
 * ```ts
 * import type { CallerError } from 'txonce';
 *
 * // RFC 9457 problem details instead of the plain sentence
 * export const problem = ({ statusCode, message }: CallerError) => ({ status: statusCode, detail: message });
 * ```
 */
export interface CallerError {
  statusCode: number;
  /** the caller-facing sentence: it names what the caller sent, never the table or record key */
  message: string;
  /** the error with the developer's detail (also what the log shows, as the `cause`) */
  error: Error;
}

/**
 * Shapes the body of an HTTP error: a string is sent as it is, anything else as JSON
 * (`@middy/http-error-handler` then answers `application/json`).
 *
 * @example
 * ```ts
 * import type { CallerErrorBody } from 'txonce';
 *
 * export const httpErrorBody: CallerErrorBody = ({ statusCode, message }) => ({ error: { status: statusCode, message } });
 * ```
 */
export type CallerErrorBody = (error: CallerError) => unknown;

const keyNames = new WeakMap<object, string>();

/**
 * A `key` that reads a request header (any case, as REST APIs pass the sender's). Errors then
 * name the header to the caller: "The request has no usable Idempotency-Key header...".
 *
 * @example
 * ```ts
 * import type { APIGatewayProxyEvent } from 'aws-lambda';
 * import { headerKey, idempotency } from 'txonce';
 * import { store } from './store.js';
 *
 * export const handler = idempotency(
 *   { store, key: headerKey<APIGatewayProxyEvent>('Idempotency-Key') },
 *   async () => ({ statusCode: 204, body: '' }),
 * );
 * ```
 */
export function headerKey<TEvent extends { headers?: Record<string, string | undefined> | null }>(
  name: string,
): (event: TEvent) => string | undefined {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`headerKey(): the header name must be a non-empty string (got ${JSON.stringify(name)}).`);
  }
  const lower = name.toLowerCase();
  const read = (event: TEvent) => lowerCaseHeaders(event?.headers)[lower];
  keyNames.set(read, `${name} header`);
  return read;
}

/** What the caller-facing messages call the key: the header `headerKey` reads, else "idempotency key". */
function keyName(key: unknown): string {
  return (typeof key === 'function' && keyNames.get(key)) || 'idempotency key';
}

/** The key as the caller sent it, quoted, and short enough for a sentence. */
function quoted(key: unknown): string {
  const text = String(key);
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 117)}...` : text);
}

/** Caller-facing sentence and status for the errors an API caller can act on; undefined for the others. */
function callerSentence(error: unknown, key: unknown, keyReader: unknown): [number, string] | undefined {
  if (error instanceof MissingIdempotencyKeyError) {
    return [
      400,
      `The request has no usable ${keyName(keyReader)} (it is missing, empty or not text). Send one with a ` +
        'value unique to this operation (a UUID, for example), and the same value when you retry it.',
    ];
  }
  if (error instanceof IdempotencyKeyReuseError) {
    return [
      422,
      `The ${keyName(keyReader)} ${quoted(key)} was already used for a request with different content` +
        `${error.firstSeenAt ? ` (first seen ${error.firstSeenAt})` : ''}. Send a new key for a new request; ` +
        'a retry must repeat the first request exactly.',
    ];
  }
  if (error instanceof BusinessConditionError) {
    return [
      409,
      `The request with ${keyName(keyReader)} ${quoted(key)} conflicts with the current state of what it ` +
        'changes, so nothing was changed. The key is not used up: send the same request again once that state allows it.',
    ];
  }
  return undefined;
}

/**
 * The error to throw to an API caller: for a missing key, a reused key and a failed business
 * condition, a copy (same class, so `instanceof` and the `errorType` still hold) whose message
 * is written for the caller, with Middy's HTTP convention (`statusCode`, `expose`); the
 * original, with the developer's detail (table, record key, condition), is its `cause`, which
 * the log shows. Other errors are returned as they are.
 */
export function restateForCaller(
  error: unknown,
  key: unknown,
  options: { key: unknown; httpErrorBody: CallerErrorBody | undefined },
): unknown {
  const sentence = callerSentence(error, key, options.key);
  if (!sentence) return error;
  const original = error as Error;
  const [statusCode, message] = sentence;
  const shaped = options.httpErrorBody ? options.httpErrorBody({ statusCode, message, error: original }) : message;
  const body = typeof shaped === 'string' ? shaped : JSON.stringify(shaped);
  const restated = Object.assign(Object.create(Object.getPrototypeOf(original)) as Error, original, {
    statusCode,
    expose: true,
  });
  for (const [name, value] of [
    ['message', body],
    ['cause', original],
    ['stack', `${original.name}: ${body}\n${original.stack?.split('\n').slice(1).join('\n') ?? ''}`],
  ] as const) {
    Object.defineProperty(restated, name, { value, writable: true, configurable: true, enumerable: false });
  }
  return restated;
}
