import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { WebhookVerificationError } from '../shared/errors.js';
import { type OptionNames, optionChecks } from '../shared/options.js';
import { requestUrl } from './request-url.js';
import { resolveWebhookScheme, type SchemeSelector, type VerifiedWebhook } from './schemes.js';
import { type RateLimitedSource, type SecretSource, secretSource } from './secret-source.js';
import { assertTolerance, rawBodyOf, verifyWebhookSignature } from './signature.js';

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

// The names these options take, checked at runtime by `knownNames` (JavaScript callers have no
// compiler); typed OptionNames<…>, so a name added to or dropped from the type fails to compile here.

const VERIFY_WEBHOOK_OPTIONS: OptionNames<VerifyWebhookOptions> = {
  scheme: true,
  secrets: true,
  toleranceSeconds: true,
  refreshIntervalMs: true,
  url: true,
};
