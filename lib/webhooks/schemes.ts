import { type HmacSchemeDefinition, HmacSchemeDefinitionError, parseHmacScheme } from './hmac-scheme-definition.js';
import { type SchemeCheck, type VerifiedWebhook, verifyHmac } from './hmac-verify.js';
import { type WebhookPreset, webhookPresets } from './presets.js';

export type { Headers } from '../shared/headers.js';
export type { SchemeCheck, VerifiedWebhook } from './hmac-verify.js';
export type { WebhookPreset, WebhookScheme } from './presets.js';

/**
 * What selects a scheme: a preset's name, or a definition (plain data, e.g. parsed from an
 * environment variable).
 *
 * @example
 * ```ts
 * import type { SchemeSelector } from 'txonce';
 *
 * // WEBHOOK_SCHEME is a preset name ("shopify") or a JSON definition
 * const text = process.env.WEBHOOK_SCHEME ?? 'shopify';
 * export const scheme: SchemeSelector = text.startsWith('{') ? JSON.parse(text) : text;
 * ```
 */
export type SchemeSelector = WebhookPreset | HmacSchemeDefinition;

/**
 * The definition a selector names, checked: a preset by name, or a definition that
 * `parseHmacScheme` accepts. An unknown name is a TypeError listing the presets; a broken
 * definition an HmacSchemeDefinitionError listing its problems.
 *
 * @example
 * ```ts
 * import { resolveWebhookScheme } from 'txonce';
 *
 * export const shopify = resolveWebhookScheme('shopify'); // { name: 'shopify', algorithm: 'sha256', ... }
 * ```
 */
export function resolveWebhookScheme(selector: SchemeSelector): HmacSchemeDefinition {
  if (typeof selector === 'string' && Object.hasOwn(webhookPresets, selector)) return webhookPresets[selector];
  if (typeof selector !== 'object' || selector === null) {
    throw new TypeError(
      `verifyWebhook: scheme must be one of ${Object.keys(webhookPresets).join(', ')}, or a scheme definition (got ${JSON.stringify(selector)}).`,
    );
  }
  if (checked.has(selector)) return selector;
  const scheme = parseHmacScheme(selector);
  checked.add(scheme);
  return scheme;
}

/** Definitions already checked: a middleware passes its own on every request. */
const checked = new WeakSet<object>();

/**
 * The scheme a setting names: a preset's name, or a JSON definition (text that starts with
 * `{`), as an environment variable or a CDK prop carries it. Text that is neither throws what
 * `resolveWebhookScheme` throws; JSON that does not parse is an HmacSchemeDefinitionError.
 *
 * @example
 * ```ts
 * import { webhookSchemeFromText } from 'txonce';
 *
 * // WEBHOOK_SCHEME="shopify", or WEBHOOK_SCHEME='{"name":"acme","algorithm":"sha256",...}'
 * export const scheme = webhookSchemeFromText(process.env.WEBHOOK_SCHEME ?? 'shopify');
 * ```
 */
export function webhookSchemeFromText(text: string): HmacSchemeDefinition {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return resolveWebhookScheme(trimmed as WebhookPreset);
  let definition: unknown;
  try {
    definition = JSON.parse(trimmed);
  } catch (error) {
    throw new HmacSchemeDefinitionError(undefined, [`the text is not JSON (${(error as Error).message})`]);
  }
  return resolveWebhookScheme(definition as HmacSchemeDefinition);
}

/** Throws at startup for a secret this scheme cannot use. */
export function assertUsableSecret(selector: SchemeSelector, secret: string): void {
  const scheme = resolveWebhookScheme(selector);
  if (typeof secret !== 'string' || secret.trim().length === 0) {
    throw new TypeError(`verifyWebhook: a ${scheme.name} secret must be a non-empty string.`);
  }
  const encoding = scheme.secretEncoding ?? 'utf8';
  if (encoding === 'utf8') return;
  const base64 = encoding === 'whsec-base64' && secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) {
    const form = encoding === 'whsec-base64' ? '"whsec_" followed by base64' : 'base64';
    throw new TypeError(`verifyWebhook: a ${scheme.title ?? scheme.name} secret is ${form}.`);
  }
}

/** Verifies one request with the scheme the selector names. */
export function verifyScheme(selector: SchemeSelector, check: SchemeCheck): VerifiedWebhook {
  return verifyHmac(resolveWebhookScheme(selector), check);
}
