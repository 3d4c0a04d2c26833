import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { WebhookVerificationError } from './errors.js';

/**
 * A signature scheme txonce verifies: Standard Webhooks (and Svix), Stripe, GitHub.
 *
 * @example
 * ```ts
 * import type { WebhookScheme } from 'txonce';
 *
 * export const scheme: WebhookScheme = process.env.GITHUB ? 'github' : 'standard-webhooks';
 * ```
 */
export type WebhookScheme = 'standard-webhooks' | 'stripe' | 'github';

/**
 * What a verified webhook tells later middlewares.
 *
 * @example
 * ```ts
 * import type { VerifiedWebhook } from 'txonce';
 *
 * export const describe = (webhook: VerifiedWebhook) =>
 *   `${webhook.scheme} ${webhook.id} signed at ${webhook.timestamp?.toISOString() ?? 'no time (GitHub)'}`;
 * ```
 */
export interface VerifiedWebhook {
  scheme: WebhookScheme;
  /**
   * What the signature vouches for as the event's id: webhook-id (Standard Webhooks), the event
   * id in the body (Stripe), "body-sha256:<hex>" of the signed body (GitHub, which signs no id).
   */
  id: string | undefined;
  /** GitHub only: X-GitHub-Delivery, for logs. Not signed: anyone who replays a body can change it. */
  deliveryId?: string;
  /** the signed timestamp, where the scheme has one */
  timestamp: Date | undefined;
}

/** Lower-cased header names: API Gateway passes the sender's case. */
export type Headers = Record<string, string | undefined>;

export interface SchemeCheck {
  headers: Headers;
  rawBody: Buffer;
  secrets: string[];
  toleranceSeconds: number;
  nowSeconds: number;
}

/** Throws at startup for a secret this scheme cannot use. */
export function assertUsableSecret(scheme: WebhookScheme, secret: string): void {
  if (typeof secret !== 'string' || secret.trim().length === 0) {
    throw new TypeError(`verifyWebhook: a ${scheme} secret must be a non-empty string.`);
  }
  if (scheme === 'standard-webhooks') {
    const base64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) {
      throw new TypeError('verifyWebhook: a Standard Webhooks secret is "whsec_" followed by base64.');
    }
    new Webhook(secret); // decodes the key; throws if it is empty
  }
}

/**
 * Standard Webhooks: HMAC-SHA256 (base64) over "<id>.<timestamp>.<body bytes>", signatures
 * "v1,<sig>" space-separated. Svix, the largest sender, names the headers svix-*: accepted too.
 */
export function verifyStandardWebhooks(check: SchemeCheck): VerifiedWebhook {
  const id = standardHeader(check.headers, 'id');
  // Node reads header bytes as Latin-1: a non-ASCII id cannot be the string the sender signed
  if (!/^[\x21-\x7e]+$/.test(id)) {
    throw new WebhookVerificationError('malformed-header', 'webhook-id must be printable ASCII without spaces');
  }
  const timestamp = signedTimestamp(standardHeader(check.headers, 'timestamp'), check);
  const offered = standardHeader(check.headers, 'signature')
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => part.slice(3));
  if (offered.length === 0)
    throw new WebhookVerificationError('malformed-header', 'webhook-signature has no v1 signature');
  // over the raw bytes: a text decoding would map every invalid byte to U+FFFD and let them swap
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), check.rawBody]);
  for (const secret of check.secrets) {
    const expected = createHmac('sha256', standardWebhooksKey(secret)).update(signed).digest('base64');
    if (offered.some((signature) => sameText(signature, expected))) {
      return { scheme: 'standard-webhooks', id, timestamp: new Date(timestamp * 1000) };
    }
  }
  throw new WebhookVerificationError('bad-signature', 'no webhook-signature matches');
}

/** "whsec_" + base64 of the key (the prefix is optional, as in the standardwebhooks package). */
function standardWebhooksKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** webhook-<name>, or Svix's svix-<name> when the sender uses those. */
function standardHeader(headers: Headers, name: 'id' | 'timestamp' | 'signature'): string {
  const value = (headers[`webhook-${name}`] ?? headers[`svix-${name}`])?.trim();
  if (!value)
    throw new WebhookVerificationError('missing-header', `header webhook-${name} (or svix-${name}) is missing`);
  return value;
}

/** Stripe: "t=<ts>,v1=<hex>[,v1=<hex>]" with HMAC-SHA256 (hex) over "<t>.<body>", the secret used as is. */
export function verifyStripe(check: SchemeCheck): VerifiedWebhook {
  const header = required(check.headers, 'stripe-signature');
  const pairs = header.split(',').map((part) => part.trim().split('='));
  const t = pairs.find(([name]) => name === 't')?.[1];
  const offered = pairs.filter(([name, value]) => name === 'v1' && value).map(([, value]) => value);
  if (!t || offered.length === 0) {
    throw new WebhookVerificationError('malformed-header', 'stripe-signature needs t= and at least one v1=');
  }
  const timestamp = signedTimestamp(t, check);
  const signed = Buffer.concat([Buffer.from(`${t}.`), check.rawBody]);
  for (const secret of check.secrets) {
    const expected = createHmac('sha256', secret).update(signed).digest('hex');
    if (offered.some((signature) => sameText(signature, expected))) {
      return { scheme: 'stripe', id: eventId(check.rawBody), timestamp: new Date(timestamp * 1000) };
    }
  }
  throw new WebhookVerificationError('bad-signature', 'no v1 signature in stripe-signature matches');
}

/**
 * GitHub: "X-Hub-Signature-256: sha256=<hex>" over the raw body. GitHub signs no id and no time,
 * so the id is a digest of the signed body: a captured delivery replayed under a new
 * X-GitHub-Delivery is the same event, not a new one.
 */
export function verifyGithub(check: SchemeCheck): VerifiedWebhook {
  const header = required(check.headers, 'x-hub-signature-256');
  const deliveryId = required(check.headers, 'x-github-delivery');
  if (!header.startsWith('sha256='))
    throw new WebhookVerificationError('malformed-header', 'x-hub-signature-256 must start with sha256=');
  const offered = header.slice('sha256='.length);
  for (const secret of check.secrets) {
    const expected = createHmac('sha256', secret).update(check.rawBody).digest('hex');
    if (sameText(offered, expected)) {
      const digest = createHash('sha256').update(check.rawBody).digest('hex');
      return { scheme: 'github', id: `body-sha256:${digest}`, deliveryId, timestamp: undefined };
    }
  }
  throw new WebhookVerificationError('bad-signature', 'x-hub-signature-256 does not match');
}

function required(headers: Headers, name: string): string {
  const value = headers[name]?.trim();
  if (!value) throw new WebhookVerificationError('missing-header', `header ${name} is missing`);
  return value;
}

/** A whole number of seconds within the tolerance, in both directions. */
function signedTimestamp(text: string, check: SchemeCheck): number {
  if (!/^\d{1,12}$/.test(text))
    throw new WebhookVerificationError('malformed-header', 'the signed timestamp is not a number of seconds');
  const timestamp = Number(text);
  // written so that a NaN anywhere rejects (fail closed)
  if (!(Math.abs(check.nowSeconds - timestamp) <= check.toleranceSeconds)) {
    throw new WebhookVerificationError(
      'timestamp-out-of-tolerance',
      `the signed timestamp is more than ${check.toleranceSeconds} s from now`,
    );
  }
  return timestamp;
}

/** Constant time for equal lengths; a length difference says nothing about the secret. */
function sameText(offered: string, expected: string): boolean {
  const a = Buffer.from(offered);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function eventId(rawBody: Buffer): string | undefined {
  try {
    const id = JSON.parse(rawBody.toString('utf8'))?.id;
    return typeof id === 'string' && id.length > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}
