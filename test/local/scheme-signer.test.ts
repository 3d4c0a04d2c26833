import { describe, expect, it } from 'vitest';
import { type HmacSchemeDefinition, webhookPresets } from '../../lib/index.js';
import { verifyScheme } from '../../lib/webhooks/schemes.js';
import { signForScheme } from '../../local/scheme-signer.js';

// `txonce send` signs a test webhook for whatever scheme a source has: every preset and a
// user's own definition must verify with txonce's verifier (whose presets are checked against
// the providers' own SDKs), and the id the verifier vouches for must be the one sent.
const secret = `whsec_${Buffer.from('a test secret of enough bytes').toString('base64')}`;
const url = 'https://127.0.0.1:3000/webhooks/source';
const at = new Date('2026-12-06T05:00:00Z');

function verify(scheme: HmacSchemeDefinition, signed: ReturnType<typeof signForScheme>, secrets = [secret]) {
  return verifyScheme(scheme, {
    headers: signed.headers,
    rawBody: Buffer.from(signed.body),
    secrets,
    toleranceSeconds: undefined,
    nowSeconds: at.getTime() / 1000,
    url: signed.url,
  });
}

const form: HmacSchemeDefinition = { ...webhookPresets.twilio, name: 'twilio-form', body: 'form' };
const schemes: HmacSchemeDefinition[] = [...Object.values(webhookPresets), form];

describe('the test signer of txonce send', () => {
  it.each(schemes.map((scheme) => [scheme.name, scheme] as const))(
    'signs %s so that txonce verifies it',
    (_, scheme) => {
      const signed = signForScheme(scheme, secret, {
        id: 'evt_42',
        event: { type: 'test.event', amount: '5' },
        url,
        at,
      });
      const verified = verify(scheme, signed);
      expect(verified.scheme).toBe(scheme.name);
      if ('digest' in scheme.id) expect(verified.id).toMatch(/^(body|params)-sha256:[0-9a-f]{64}$/);
      else expect(verified.id).toBe('evt_42');
      expect(() => verify(scheme, signed, ['another secret'])).toThrow(/signature|match/);
    },
  );

  it('sends a form scheme form-encoded and a JSON body to Twilio with the bodySHA256 the URL must carry', () => {
    const asForm = signForScheme(form, secret, { id: 'x', event: { CallSid: 'CA1', From: '+15550001' }, url, at });
    expect(asForm.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(asForm.body).get('CallSid')).toBe('CA1');
    const asJson = signForScheme(webhookPresets.twilio, secret, { id: 'x', event: { a: 1 }, url, at });
    expect(new URL(asJson.url).searchParams.get('bodySHA256')).toMatch(/^[0-9a-f]{64}$/);
  });
});
