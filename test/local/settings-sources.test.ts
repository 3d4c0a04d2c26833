import { describe, expect, it } from 'vitest';
import { readStartSettings } from '../../local/settings.js';

// npm start with several sources: WEBHOOK_SOURCES names presets, each served at /webhooks/<name>.

describe('npm start settings: WEBHOOK_SOURCES', () => {
  it('reads the presets, and checks the local secret against each of them', () => {
    expect(readStartSettings({ WEBHOOK_SOURCES: 'stripe,github,shopify' }).sources).toEqual([
      'stripe',
      'github',
      'shopify',
    ]);
    // a secret every one of them can use passes; one Standard Webhooks cannot use is named
    expect(readStartSettings({ WEBHOOK_SOURCES: 'stripe,github', WEBHOOK_SECRET: 'plain text' }).secret).toBe(
      'plain text',
    );
    expect(() =>
      readStartSettings({ WEBHOOK_SOURCES: 'github,standard-webhooks', WEBHOOK_SECRET: 'plain text' }),
    ).toThrow(/WEBHOOK_SECRET cannot be used/);
  });

  it('refuses a name that is no preset, and WEBHOOK_SCHEME beside it', () => {
    expect(() => readStartSettings({ WEBHOOK_SOURCES: 'stripe,paypal' })).toThrow(
      /WEBHOOK_SOURCES names presets, one of .*; got "paypal"/,
    );
    expect(() => readStartSettings({ WEBHOOK_SOURCES: 'stripe', WEBHOOK_SCHEME: 'github' })).toThrow(
      /give WEBHOOK_SOURCES or WEBHOOK_SCHEME, not both/,
    );
  });
});
