import type { HmacSchemeDefinition } from './hmac-scheme-definition.js';

/** Slack and Zoom sign "v0:<timestamp>:<body>" alike. */
const V0_TIMESTAMP_BODY: HmacSchemeDefinition['signed'] = [
  { text: 'v0:' },
  { value: 'timestamp' },
  { text: ':' },
  { value: 'body' },
];

/**
 * The providers txonce knows by name, as data: each is an `HmacSchemeDefinition`, checked
 * against the provider's own verifier in test/webhook-presets-*.test.ts. See the provider table
 * in docs/webhooks.md for what each signs and what it cannot protect.
 *
 * @example
 * ```ts
 * import { type HmacSchemeDefinition, webhookPresets } from 'txonce';
 *
 * // a variant of a preset: Paddle's own 5 s window widened for a clock that drifts
 * export const paddle: HmacSchemeDefinition = {
 *   ...webhookPresets.paddle,
 *   timestamp: { pair: 'ts', toleranceSeconds: 30 },
 * };
 * ```
 */
export const webhookPresets = {
  'standard-webhooks': {
    name: 'standard-webhooks',
    title: 'Standard Webhooks',
    algorithm: 'sha256',
    encoding: 'base64',
    secretEncoding: 'whsec-base64',
    // Svix, the largest sender, names the headers svix-*
    signature: {
      header: ['webhook-signature', 'svix-signature'],
      format: { type: 'list', separator: ' ', prefix: 'v1,' },
    },
    timestamp: { header: ['webhook-timestamp', 'svix-timestamp'] },
    id: { header: ['webhook-id', 'svix-id'] },
    signed: [{ value: 'id' }, { text: '.' }, { value: 'timestamp' }, { text: '.' }, { value: 'body' }],
  },
  stripe: {
    name: 'stripe',
    title: 'Stripe',
    algorithm: 'sha256',
    encoding: 'hex',
    signature: { header: 'stripe-signature', format: { type: 'pairs', separator: ',', key: 'v1' } },
    timestamp: { pair: 't' },
    id: { bodyPath: 'id' },
    signed: [{ value: 'timestamp' }, { text: '.' }, { value: 'body' }],
  },
  github: {
    name: 'github',
    title: 'GitHub',
    algorithm: 'sha256',
    encoding: 'hex',
    signature: { header: 'x-hub-signature-256', format: { type: 'plain', prefix: 'sha256=' } },
    // GitHub signs no id: a delivery replayed under a new X-GitHub-Delivery is the same event
    id: { digest: 'body-sha256' },
    deliveryIdHeader: 'x-github-delivery',
    signed: [{ value: 'body' }],
  },
  shopify: {
    name: 'shopify',
    title: 'Shopify',
    algorithm: 'sha256',
    encoding: 'base64',
    // shopify-* are the headers of Shopify's newer event webhooks
    signature: { header: ['x-shopify-hmac-sha256', 'shopify-hmac-sha256'], format: { type: 'plain' } },
    id: { digest: 'body-sha256' },
    deliveryIdHeader: ['x-shopify-webhook-id', 'shopify-webhook-id'],
    signed: [{ value: 'body' }],
  },
  slack: {
    name: 'slack',
    title: 'Slack',
    algorithm: 'sha256',
    encoding: 'hex',
    signature: { header: 'x-slack-signature', format: { type: 'plain', prefix: 'v0=' } },
    timestamp: { header: 'x-slack-request-timestamp' },
    id: { bodyPath: 'event_id' },
    signed: V0_TIMESTAMP_BODY,
    challenge: {
      when: { bodyPath: 'type', equals: 'url_verification' },
      respond: { challenge: { bodyPath: 'challenge' } },
    },
  },
  square: {
    name: 'square',
    title: 'Square',
    algorithm: 'sha256',
    encoding: 'base64',
    signature: { header: 'x-square-hmacsha256-signature', format: { type: 'plain' } },
    id: { bodyPath: 'event_id' },
    signed: [{ value: 'url' }, { value: 'body' }],
  },
  linear: {
    name: 'linear',
    title: 'Linear',
    algorithm: 'sha256',
    encoding: 'hex',
    signature: { header: 'linear-signature', format: { type: 'plain' } },
    // signed because it is in the signed body; Linear's own client allows one minute
    timestamp: { bodyPath: 'webhookTimestamp', unit: 'ms', toleranceSeconds: 60 },
    id: { digest: 'body-sha256' },
    signed: [{ value: 'body' }],
  },
  paddle: {
    name: 'paddle',
    title: 'Paddle',
    algorithm: 'sha256',
    encoding: 'hex',
    signature: { header: 'paddle-signature', format: { type: 'pairs', separator: ';', key: 'h1' } },
    // Paddle's SDK allows 5 s; widen with toleranceSeconds if your clock drifts
    timestamp: { pair: 'ts', toleranceSeconds: 5 },
    id: { bodyPath: 'event_id' },
    signed: [{ value: 'timestamp' }, { text: ':' }, { value: 'body' }],
  },
  zoom: {
    name: 'zoom',
    title: 'Zoom',
    algorithm: 'sha256',
    encoding: 'hex',
    signature: { header: 'x-zm-signature', format: { type: 'plain', prefix: 'v0=' } },
    timestamp: { header: 'x-zm-request-timestamp' },
    id: { digest: 'body-sha256' },
    signed: V0_TIMESTAMP_BODY,
    challenge: {
      when: { bodyPath: 'event', equals: 'endpoint.url_validation' },
      respond: {
        plainToken: { bodyPath: 'payload.plainToken' },
        encryptedToken: { hmacOfBodyPath: 'payload.plainToken' },
      },
    },
  },
  twilio: {
    name: 'twilio',
    title: 'Twilio',
    algorithm: 'sha1',
    encoding: 'base64',
    signature: { header: 'x-twilio-signature', format: { type: 'plain' } },
    id: { digest: 'body-sha256' },
    body: 'json-or-form',
    // form bodies: the URL and the sorted parameters; JSON bodies: the URL, whose bodySHA256 binds the body
    signed: [{ value: 'url' }, { value: 'form-params' }],
    bodyDigestParam: { name: 'bodySHA256', algorithm: 'sha256', encoding: 'hex' },
  },
} as const satisfies Record<string, HmacSchemeDefinition>;

/**
 * A provider txonce knows by name: a key of `webhookPresets`.
 *
 * @example
 * ```ts
 * import type { WebhookPreset } from 'txonce';
 *
 * export const preset: WebhookPreset = process.env.SHOPIFY ? 'shopify' : 'slack';
 * ```
 */
export type WebhookPreset = keyof typeof webhookPresets;

/**
 * The three schemes the ingest function and `WebhookPipeline` take today: Standard Webhooks
 * (and Svix), Stripe, GitHub. Every other preset works with `verifyWebhook`.
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
 * The schemes WebhookPipeline's ingest verifies, as a list: a contract of the construct, the ingest
 * function and the local stack, kept here beside the type (the check below fails to compile if the
 * two differ).
 */
export const PIPELINE_SCHEMES = ['standard-webhooks', 'stripe', 'github'] as const satisfies readonly WebhookScheme[];
const everySchemeListed: Exclude<WebhookScheme, (typeof PIPELINE_SCHEMES)[number]> extends never ? true : never = true;
void everySchemeListed;
