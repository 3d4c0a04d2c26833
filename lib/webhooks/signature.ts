import type { APIGatewayProxyEvent } from 'aws-lambda';
import { lowerCaseHeaders } from '../shared/headers.js';
import { type OptionNames, optionChecks } from '../shared/options.js';
import { valueKind } from '../shared/value-kind.js';
import {
  assertUsableSecret,
  resolveWebhookScheme,
  type SchemeSelector,
  type VerifiedWebhook,
  verifyScheme,
} from './schemes.js';

// The signature API: one request verified against its raw body, and the checks of what it is given.

/**
 * Verifies one webhook against the raw body (never a re-serialised one). Throws
 * WebhookVerificationError saying why; a secret the scheme cannot use is a TypeError.
 *
 * @example
 * ```ts
 * import type { APIGatewayProxyEvent } from 'aws-lambda';
 * import { rawBodyOf, verifyWebhookSignature } from 'txonce';
 *
 * export async function handler(event: APIGatewayProxyEvent) {
 *   const webhook = verifyWebhookSignature({
 *     scheme: 'github',
 *     secrets: process.env.GITHUB_SECRET ?? '',
 *     headers: event.headers,
 *     rawBody: rawBodyOf(event),
 *   }); // throws WebhookVerificationError
 *   return { statusCode: 202, body: JSON.stringify({ id: webhook.id }) };
 * }
 * ```
 */
export function verifyWebhookSignature(input: {
  scheme: SchemeSelector;
  secrets: string | string[];
  headers: Record<string, string | undefined> | null | undefined;
  rawBody: Buffer | string;
  toleranceSeconds?: number;
  /** The URL the provider posted to, query included: for schemes that sign it (Square, Twilio). */
  url?: string;
  now?: Date;
}): VerifiedWebhook {
  optionChecks('verifyWebhookSignature').knownNames(input, VERIFY_SIGNATURE_INPUT);
  const secrets = usableSecrets(input.scheme, input.secrets);
  if (input.toleranceSeconds !== undefined) assertTolerance(input.toleranceSeconds);
  return verifyScheme(input.scheme, {
    headers: lowerCaseHeaders(input.headers),
    rawBody: signedBytes(input.rawBody),
    secrets,
    toleranceSeconds: input.toleranceSeconds,
    url: input.url,
    nowSeconds: Math.floor((input.now ?? new Date()).getTime() / 1000),
  });
}

/** The signature covers bytes: a parsed body has lost them (key order, spacing, number forms). */
function signedBytes(rawBody: unknown): Buffer {
  if (typeof rawBody === 'string') return Buffer.from(rawBody, 'utf8');
  if (rawBody instanceof Uint8Array) return Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody);
  throw new TypeError(
    `verifyWebhookSignature: \`rawBody\` must be the body as received (a Buffer or a string), not the parsed JSON (got ${valueKind(rawBody)}). ` +
      'Pass the raw body before any JSON parsing: rawBodyOf(event) for API Gateway.',
  );
}

/**
 * The body exactly as the sender signed it: API Gateway base64-encodes binary media types.
 *
 * @example
 * ```ts
 * import type { APIGatewayProxyEvent } from 'aws-lambda';
 * import { rawBodyOf } from 'txonce';
 *
 * export const size = (event: APIGatewayProxyEvent) => rawBodyOf(event).length; // base64 decoded when API Gateway encoded it
 * ```
 */
export function rawBodyOf(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body == null) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/**
 * The secrets as a list, each checked for the scheme: a TypeError for one it cannot use.
 *
 * @example
 * ```ts
 * import { usableSecrets } from 'txonce';
 *
 * // at startup: a secret the scheme cannot use is a TypeError now, not a 401 for every request later
 * export const secrets = usableSecrets('stripe', (process.env.STRIPE_SECRETS ?? 'whsec_placeholder').split(','));
 * ```
 */
export function usableSecrets(scheme: SchemeSelector, secrets: string | string[]): string[] {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(`verifyWebhook: no ${resolveWebhookScheme(scheme).name} secret configured.`);
  }
  for (const secret of list) assertUsableSecret(scheme, secret);
  return list;
}

export function assertTolerance(toleranceSeconds: number): void {
  // a NaN would make every timestamp "within tolerance": refuse it as a configuration error
  if (!(Number.isFinite(toleranceSeconds) && toleranceSeconds > 0)) {
    throw new TypeError(`verifyWebhook: toleranceSeconds must be a positive number (got ${toleranceSeconds}).`);
  }
}

// The names these options take, checked at runtime by `knownNames` (JavaScript callers have no
// compiler); typed OptionNames<…>, so a name added to or dropped from the type fails to compile here.

const VERIFY_SIGNATURE_INPUT: OptionNames<Parameters<typeof verifyWebhookSignature>[0]> = {
  scheme: true,
  secrets: true,
  headers: true,
  rawBody: true,
  toleranceSeconds: true,
  url: true,
  now: true,
};
