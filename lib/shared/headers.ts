// Request headers read case-insensitively: API Gateway REST APIs pass them in the sender's case.

/** Lower-cased header names: API Gateway passes the sender's case. */
export type Headers = Record<string, string | undefined>;

/**
 * The headers with lower-cased names, for case-insensitive lookups: API Gateway REST APIs pass
 * them in the sender's case.
 *
 * @example
 * ```ts
 * import type { APIGatewayProxyEvent } from 'aws-lambda';
 * import { lowerCaseHeaders } from 'txonce';
 *
 * // REST APIs pass headers in the sender's case
 * export const keyOf = (event: APIGatewayProxyEvent) => lowerCaseHeaders(event.headers)['idempotency-key'];
 * ```
 */
export function lowerCaseHeaders(headers: Record<string, string | undefined> | null | undefined): Headers {
  const lower: Headers = {};
  for (const [name, value] of Object.entries(headers ?? {})) lower[name.toLowerCase()] = value;
  return lower;
}
