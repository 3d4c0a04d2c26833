import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { WebhookVerificationError } from '../shared/errors.js';
import { type OptionNames, optionChecks } from '../shared/options.js';
import { valueKind } from '../shared/value-kind.js';
import { requestUrl } from './request-url.js';
import {
  assertUsableSecret,
  type Headers,
  resolveWebhookScheme,
  type SchemeSelector,
  type VerifiedWebhook,
  verifyScheme,
} from './schemes.js';

/**
 * Secrets that may change (a secrets manager); static ones are a plain list.
 *
 * @example
 * ```ts
 * import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
 * import type { SecretSource } from 'txonce';
 *
 * const client = new SecretsManagerClient({});
 * const read = async () => {
 *   const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: 'webhook-secret' }));
 *   const value = JSON.parse(SecretString ?? '[]') as string | string[]; // one secret, or [new, old]
 *   return typeof value === 'string' ? [value] : value;
 * };
 * let cached: Promise<string[]> | undefined;
 *
 * export const secrets: SecretSource = {
 *   current: () => {
 *     cached ??= read();
 *     return cached;
 *   },
 *   refresh: () => {
 *     cached = read();
 *     return cached;
 *   },
 * };
 * ```
 */
export interface SecretSource {
  /** The secrets to accept; during a rotation, the new and the old. */
  current(): Promise<string[]> | string[];
  /** Asked after a signature mismatch, before rejecting: fetch again in case the secret rotated. */
  refresh?(): Promise<string[]> | string[];
}

/**
 * Options of `verifyWebhook(options)`: the scheme, the secrets (one, several during a rotation,
 * or a source that can refresh), the timestamp tolerance and how often a mismatch may refresh the
 * secrets.
 *
 * @example
 * ```ts
 * import middy from '@middy/core';
 * import { type VerifyWebhookOptions, verifyWebhook } from 'txonce';
 *
 * const options: VerifyWebhookOptions = {
 *   scheme: 'standard-webhooks',
 *   secrets: [process.env.NEW_SECRET ?? '', process.env.OLD_SECRET ?? ''].filter(Boolean), // during a rotation
 *   toleranceSeconds: 300,
 * };
 * export const handler = middy().use(verifyWebhook(options)).handler(async () => ({ statusCode: 202, body: '' }));
 * ```
 */
export interface VerifyWebhookOptions {
  /** A preset's name (`stripe`, `shopify`, `slack`...) or a scheme definition (docs/webhooks.md). */
  scheme: SchemeSelector;
  /** One secret, several (rotation: new and old are both accepted), or a SecretSource. */
  secrets: string | string[] | SecretSource;
  /** How far a signed timestamp may be from now, either way, in seconds. Default: the scheme's own (Paddle 5, Linear 60), else 300. */
  toleranceSeconds?: number;
  /**
   * For schemes that sign the URL (Square, Twilio): the URL the provider posts to, exactly as
   * configured there, or a function of the event. Default: https://<Host header><path>?<query>.
   */
  url?: string | ((event: APIGatewayProxyEvent) => string);
  /**
   * After a signature mismatch, `secrets.refresh()` is asked at most once per this many ms
   * (concurrent mismatches share one call), so forged requests cannot hammer a secrets store.
   * Default 30000.
   */
  refreshIntervalMs?: number;
}

/**
 * An API Gateway event after verification: the raw body and what the signature vouched for.
 *
 * @example
 * ```ts
 * import middy from '@middy/core';
 * import { type VerifiedWebhookEvent, verifyWebhook } from 'txonce';
 *
 * export const handler = middy()
 *   .use(verifyWebhook({ scheme: 'stripe', secrets: process.env.STRIPE_SECRET ?? '' }))
 *   .handler(async (event) => {
 *     const { webhook, rawBody } = event as VerifiedWebhookEvent;
 *     console.log(webhook.id, rawBody.length); // the Stripe event id, the signed bytes
 *     return { statusCode: 202, body: '' };
 *   });
 * ```
 */
export type VerifiedWebhookEvent = APIGatewayProxyEvent & { webhook: VerifiedWebhook; rawBody: Buffer };

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

type VerifyMiddleware = Required<
  Pick<MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult | undefined>, 'before'>
>;

/**
 * Middy middleware for API Gateway proxy events: verifies the signature before the handler
 * runs. On success the event carries `webhook` ({ scheme, id, timestamp }) and `rawBody`; on
 * failure the answer is 401 (400 for a malformed header) with a JSON body naming the reason,
 * and the handler never runs.
 * Static secrets are checked here, at startup: a secret the scheme cannot use throws now,
 * never a 401 later.
 *
 * @example
 * ```ts
 * import middy from '@middy/core';
 * import type { APIGatewayProxyEvent } from 'aws-lambda';
 * import { idempotency, type VerifiedWebhookEvent, verifyWebhook } from 'txonce';
 * import { store } from './store.js';
 *
 * export const handler = middy()
 *   .use(verifyWebhook({ scheme: 'standard-webhooks', secrets: process.env.WEBHOOK_SECRET ?? '' }))
 *   .handler(
 *     idempotency(
 *       { store, key: (event: APIGatewayProxyEvent) => (event as VerifiedWebhookEvent).webhook.id },
 *       async (event, context) => {
 *         context.tx.put({ TableName: 'events', Item: { pk: (event as VerifiedWebhookEvent).webhook.id } });
 *         return { statusCode: 202, body: '' };
 *       },
 *     ),
 *   );
 * ```
 */
export function verifyWebhook(
  options: VerifyWebhookOptions,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult | undefined> {
  optionChecks('verifyWebhook').knownNames(options, VERIFY_WEBHOOK_OPTIONS);
  const { toleranceSeconds } = options ?? ({} as VerifyWebhookOptions);
  const scheme = resolveWebhookScheme(options?.scheme); // checked once, at startup
  if (toleranceSeconds !== undefined) assertTolerance(toleranceSeconds);
  const { refreshIntervalMs = 30_000, url = requestUrl } = options;
  if (typeof url !== 'string' && typeof url !== 'function') {
    throw new TypeError(
      `verifyWebhook: url must be the URL the provider posts to, or a function of the event (got ${JSON.stringify(url)}).`,
    );
  }
  if (!(Number.isFinite(refreshIntervalMs) && refreshIntervalMs >= 0)) {
    throw new TypeError(`verifyWebhook: refreshIntervalMs must be a number >= 0 (got ${refreshIntervalMs}).`);
  }
  const source = secretSource(scheme, options.secrets, refreshIntervalMs);

  const verifyWith = async (secrets: string[], event: APIGatewayProxyEvent, rawBody: Buffer) =>
    verifyWebhookSignature({
      scheme,
      secrets,
      headers: event.headers,
      rawBody,
      toleranceSeconds,
      url: typeof url === 'string' ? url : url(event),
    });

  // A named function, as Middy's own middlewares use: its name is what Middy's plugin hooks report.
  const verifyWebhookBefore: VerifyMiddleware['before'] = async (request) => {
    const rawBody = rawBodyOf(request.event);
    let webhook: VerifiedWebhook;
    try {
      webhook = await verifyWith(await source.current(), request.event, rawBody);
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      const retried =
        error.reason === 'bad-signature'
          ? await retryWithRefreshedSecrets(source, request.event, rawBody, verifyWith)
          : undefined;
      if (!retried) return rejected(error);
      webhook = retried;
    }
    // a verified handshake (Slack, Zoom) is answered here: the handler never sees it, nothing is queued
    if (webhook.challengeResponse) return answered(webhook.challengeResponse);
    Object.assign(request.event, { webhook, rawBody });
  };
  return { name: 'txonce-verify-webhook', before: verifyWebhookBefore };
}

async function retryWithRefreshedSecrets(
  source: RateLimitedSource,
  event: APIGatewayProxyEvent,
  rawBody: Buffer,
  verifyWith: (secrets: string[], event: APIGatewayProxyEvent, rawBody: Buffer) => Promise<VerifiedWebhook>,
): Promise<VerifiedWebhook | undefined> {
  if (!source.refresh) return undefined;
  const before = await source.current();
  const after = await source.refresh();
  if (!after || after.join('\n') === before.join('\n')) return undefined;
  try {
    return await verifyWith(after, event, rawBody);
  } catch (error) {
    if (error instanceof WebhookVerificationError) return undefined;
    throw error;
  }
}

function answered(challengeResponse: Record<string, string>): APIGatewayProxyResult {
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(challengeResponse) };
}

/** Names the reason and nothing more: no expected signature, no secret, no body echo. */
function rejected(error: WebhookVerificationError): APIGatewayProxyResult {
  return {
    statusCode: error.statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      message: 'Webhook signature verification failed',
      reason: error.reason,
      detail: detailOf(error),
    }),
  };
}

function detailOf(error: WebhookVerificationError): string {
  return error.message.replace(/^Webhook rejected \([^)]*\): /, '');
}

/** A SecretSource whose refresh may decline (undefined): too soon after the last one. */
interface RateLimitedSource {
  current(): Promise<string[]> | string[];
  refresh?(): Promise<string[] | undefined>;
}

function secretSource(
  scheme: SchemeSelector,
  secrets: VerifyWebhookOptions['secrets'],
  refreshIntervalMs: number,
): RateLimitedSource {
  if (typeof secrets === 'string' || Array.isArray(secrets)) {
    const list = usableSecrets(scheme, secrets);
    return { current: () => list };
  }
  if (!secrets || typeof secrets.current !== 'function') {
    throw new TypeError('verifyWebhook: secrets must be a string, a list of strings, or { current(), refresh?() }.');
  }
  const refresh = secrets.refresh?.bind(secrets);
  return {
    current: async () => usableSecrets(scheme, await secrets.current()),
    refresh: refresh ? atMostOncePer(refreshIntervalMs, async () => usableSecrets(scheme, await refresh())) : undefined,
  };
}

/**
 * The rate limit lives here, not in each SecretSource: every forged request is a mismatch, and
 * a source that fetched on each one would let anyone hammer the secrets store.
 */
function atMostOncePer(intervalMs: number, fetch: () => Promise<string[]>): () => Promise<string[] | undefined> {
  let lastAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<string[]> | undefined;
  return async () => {
    if (inFlight) return inFlight;
    if (Date.now() - lastAt < intervalMs) return undefined;
    lastAt = Date.now();
    inFlight = fetch().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

function assertTolerance(toleranceSeconds: number): void {
  // a NaN would make every timestamp "within tolerance": refuse it as a configuration error
  if (!(Number.isFinite(toleranceSeconds) && toleranceSeconds > 0)) {
    throw new TypeError(`verifyWebhook: toleranceSeconds must be a positive number (got ${toleranceSeconds}).`);
  }
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

// The names these options take, checked at runtime by `knownNames` (JavaScript callers have no
// compiler); typed OptionNames<…>, so a name added to or dropped from the type fails to compile here.

const VERIFY_WEBHOOK_OPTIONS: OptionNames<VerifyWebhookOptions> = {
  scheme: true,
  secrets: true,
  toleranceSeconds: true,
  refreshIntervalMs: true,
  url: true,
};

const VERIFY_SIGNATURE_INPUT: OptionNames<Parameters<typeof verifyWebhookSignature>[0]> = {
  scheme: true,
  secrets: true,
  headers: true,
  rawBody: true,
  toleranceSeconds: true,
  url: true,
  now: true,
};
