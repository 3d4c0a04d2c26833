import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type HmacSchemeDefinition, resolveWebhookScheme, webhookPresets } from '../../../lib/index.js';
import { assertUsableSecret } from '../../../lib/webhooks/schemes.js';
import { acme } from '../../support/acme-scheme.js';

describe('resolveWebhookScheme: a preset by name, or a checked definition', () => {
  it('gives a preset by name, and a definition as it is', () => {
    expect(resolveWebhookScheme('stripe')).toBe(webhookPresets.stripe);
    const definition = acme();
    expect(resolveWebhookScheme(definition)).toBe(definition);
  });

  it.each([
    ['an unknown name', 'acme', '"acme"'],
    ['null', null, 'null'],
    ['a name of an Object method', 'toString', '"toString"'],
  ])('names the presets for %s', (_, selector, shown) => {
    expect(() => resolveWebhookScheme(selector as never)).toThrow(
      new TypeError(
        `verifyWebhook: scheme must be one of ${Object.keys(webhookPresets).join(', ')}, or a scheme definition (got ${shown}).`,
      ),
    );
  });

  it('checks a definition once: a middleware passes the checked one on every request', () => {
    const definition = acme();
    resolveWebhookScheme(definition);
    // changed after the check (which a caller should not do): not checked again
    (definition as { algorithm: string }).algorithm = 'md5';
    expect(resolveWebhookScheme(definition)).toBe(definition);
    expect(() => resolveWebhookScheme({ ...definition })).toThrow(/algorithm must be one of sha1, sha256, sha512/);
  });
});

describe('assertUsableSecret: a secret the scheme can decode', () => {
  const base64Secret = randomBytes(24).toString('base64');

  it.each([
    ['a base64 secret', acme({ secretEncoding: 'base64' }), base64Secret],
    ['a base64 secret that starts like whsec_', acme({ secretEncoding: 'base64' }), 'whsecAAAAAAA'],
    ['a Standard Webhooks secret with its prefix', 'standard-webhooks', `whsec_${base64Secret}`],
    ['a Standard Webhooks secret without its prefix', 'standard-webhooks', base64Secret],
  ] as const)('accepts %s', (_, scheme, secret) => {
    expect(() => assertUsableSecret(scheme, secret)).not.toThrow();
  });

  it.each([
    ['base64', acme({ secretEncoding: 'base64' }), 'not base64!', 'verifyWebhook: a Acme secret is base64.'],
    ['base64', acme({ secretEncoding: 'base64' }), `whsec_${base64Secret}`, 'verifyWebhook: a Acme secret is base64.'],
    [
      'Standard Webhooks',
      'standard-webhooks',
      'whsec_!',
      'verifyWebhook: a Standard Webhooks secret is "whsec_" followed by base64.',
    ],
  ] as const)('refuses a %s secret, saying what it should be (case %#)', (_, scheme, secret, message) => {
    expect(() => assertUsableSecret(scheme, secret)).toThrow(new TypeError(message));
  });
});
