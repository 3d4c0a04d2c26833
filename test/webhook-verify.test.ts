import { verify as githubVerify } from '@octokit/webhooks-methods';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyWebhookSignature, type WebhookScheme, WebhookVerificationError } from '../lib/index.js';
import {
  signGithub,
  signStandardWebhooks,
  signStripe,
  standardWebhooksSecret,
  stripeClient,
} from './support/webhook-signers.js';

function rejection(run: () => unknown): WebhookVerificationError {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error;
    throw error;
  }
  throw new Error('expected the webhook to be rejected');
}

describe('Standard Webhooks, signed by the standardwebhooks package', () => {
  const secret = standardWebhooksSecret();
  const body = JSON.stringify({ type: 'invoice.paid', data: { invoiceId: 'inv_1' } });

  it('accepts a valid signature and reports the id and timestamp it vouches for', () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const headers = signStandardWebhooks(secret, 'msg_1', body, at);
    expect(verifyWebhookSignature({ scheme: 'standard-webhooks', secrets: secret, headers, rawBody: body })).toEqual({
      scheme: 'standard-webhooks',
      id: 'msg_1',
      timestamp: at,
    });
  });

  it('accepts any of several signatures in one header, and any of several secrets (rotation)', () => {
    const other = standardWebhooksSecret();
    const headers = signStandardWebhooks(secret, 'msg_2', body);
    headers['webhook-signature'] = `v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ${headers['webhook-signature']}`;
    expect(
      verifyWebhookSignature({ scheme: 'standard-webhooks', secrets: [other, secret], headers, rawBody: body }).id,
    ).toBe('msg_2');
    expect(
      rejection(() => verifyWebhookSignature({ scheme: 'standard-webhooks', secrets: [other], headers, rawBody: body }))
        .reason,
    ).toBe('bad-signature');
  });

  it('rejects timestamps outside the tolerance in both directions', () => {
    for (const offset of [-301, 301]) {
      const headers = signStandardWebhooks(secret, 'msg_3', body, new Date(Date.now() + offset * 1000));
      const error = rejection(() =>
        verifyWebhookSignature({ scheme: 'standard-webhooks', secrets: secret, headers, rawBody: body }),
      );
      expect(error.reason).toBe('timestamp-out-of-tolerance');
    }
    const near = signStandardWebhooks(secret, 'msg_3', body, new Date(Date.now() - 250_000));
    expect(
      verifyWebhookSignature({ scheme: 'standard-webhooks', secrets: secret, headers: near, rawBody: body }).id,
    ).toBe('msg_3');
  });

  it('names the missing header', () => {
    const headers = signStandardWebhooks(secret, 'msg_4', body);
    delete (headers as Record<string, string | undefined>)['webhook-signature'];
    const error = rejection(() =>
      verifyWebhookSignature({ scheme: 'standard-webhooks', secrets: secret, headers, rawBody: body }),
    );
    expect(error.reason).toBe('missing-header');
    expect(error.message).toContain('webhook-signature');
  });

  it('refuses a secret that is not whsec_ base64 as a configuration error, not a rejection', () => {
    expect(() =>
      verifyWebhookSignature({ scheme: 'standard-webhooks', secrets: 'not base64!', headers: {}, rawBody: body }),
    ).toThrow(TypeError);
  });
});

describe('Stripe, signed by the stripe package', () => {
  const secret = 'whsec_test_secret_for_txonce';
  const body = JSON.stringify({ id: 'evt_1', type: 'invoice.paid' });

  it('accepts what stripe signs, agreeing with stripe.webhooks.constructEvent, and reads the event id', () => {
    const headers = signStripe(secret, body);
    expect(stripeClient.webhooks.constructEvent(body, headers['Stripe-Signature'], secret).id).toBe('evt_1');
    expect(verifyWebhookSignature({ scheme: 'stripe', secrets: secret, headers, rawBody: body })).toMatchObject({
      scheme: 'stripe',
      id: 'evt_1',
    });
  });

  it('accepts a header with several v1 signatures (Stripe sends one per active secret)', () => {
    const headers = signStripe(secret, body);
    const [t, v1] = headers['Stripe-Signature'].split(',');
    headers['Stripe-Signature'] = `${t},v1=${'0'.repeat(64)},${v1}`;
    expect(verifyWebhookSignature({ scheme: 'stripe', secrets: secret, headers, rawBody: body }).id).toBe('evt_1');
  });

  it('rejects a future timestamp, which stripe itself lets through', () => {
    const headers = signStripe(secret, body, new Date(Date.now() + 600_000));
    expect(
      rejection(() => verifyWebhookSignature({ scheme: 'stripe', secrets: secret, headers, rawBody: body })).reason,
    ).toBe('timestamp-out-of-tolerance');
  });

  it('rejects a header without t= or v1= as malformed', () => {
    const error = rejection(() =>
      verifyWebhookSignature({
        scheme: 'stripe',
        secrets: secret,
        headers: { 'stripe-signature': 'v0=abc' },
        rawBody: body,
      }),
    );
    expect(error.reason).toBe('malformed-header');
  });
});

describe('GitHub', () => {
  it("accepts GitHub's published test vector", () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const headers = {
      'X-Hub-Signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      'X-GitHub-Delivery': 'delivery-1',
    };
    expect(
      verifyWebhookSignature({
        scheme: 'github',
        secrets: "It's a Secret to Everybody",
        headers,
        rawBody: 'Hello, World!',
      }),
    ).toEqual({ scheme: 'github', id: 'delivery-1', timestamp: undefined });
  });

  it('accepts what @octokit/webhooks-methods signs and rejects what it rejects', async () => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.' });
    const headers = await signGithub('gh-secret', 'delivery-2', body);
    expect(await githubVerify('gh-secret', body, headers['X-Hub-Signature-256'])).toBe(true);
    expect(verifyWebhookSignature({ scheme: 'github', secrets: 'gh-secret', headers, rawBody: body }).id).toBe(
      'delivery-2',
    );
    expect(await githubVerify('gh-secret', `${body} `, headers['X-Hub-Signature-256'])).toBe(false);
    expect(
      rejection(() => verifyWebhookSignature({ scheme: 'github', secrets: 'gh-secret', headers, rawBody: `${body} ` }))
        .reason,
    ).toBe('bad-signature');
  });

  it('matches header names in any case', async () => {
    const body = '{"a":1}';
    const headers = await signGithub('gh-secret', 'delivery-3', body);
    const shouting = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toUpperCase(), value]));
    expect(
      verifyWebhookSignature({ scheme: 'github', secrets: 'gh-secret', headers: shouting, rawBody: body }).id,
    ).toBe('delivery-3');
  });
});

describe('any tampering is rejected (property-based)', () => {
  const secret = standardWebhooksSecret();
  const stripeSecret = 'whsec_property_secret';
  const json = fc
    .dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(fc.string(), fc.integer()))
    .map((value) => JSON.stringify(value));
  const flipOneByte = (text: string, at: number) => {
    const bytes = Buffer.from(text);
    const index = at % bytes.length;
    bytes[index] = bytes[index] ^ 0x01;
    return bytes;
  };

  it('Standard Webhooks: a changed body, id or timestamp never verifies', () => {
    fc.assert(
      fc.property(
        json,
        fc.string({ minLength: 1, maxLength: 40 }).filter((id) => id.trim() === id && !id.includes(' ')),
        fc.nat(),
        fc.integer({ min: 1, max: 290 }),
        fc.constantFrom('body', 'id', 'timestamp'),
        (body, id, at, shift, what) => {
          const headers = signStandardWebhooks(secret, id, body);
          const verify = (h: Record<string, string>, raw: Buffer | string) =>
            verifyWebhookSignature({ scheme: 'standard-webhooks', secrets: secret, headers: h, rawBody: raw });
          expect(verify(headers, body).id).toBe(id);
          const moved = String(Number(headers['webhook-timestamp']) - shift);
          const tampered = {
            body: () => verify(headers, flipOneByte(body, at)),
            id: () => verify({ ...headers, 'webhook-id': `${id}x` }, body),
            timestamp: () => verify({ ...headers, 'webhook-timestamp': moved }, body),
          }[what];
          expect(tampered).toThrow(WebhookVerificationError);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('Stripe: a changed body or timestamp never verifies', () => {
    fc.assert(
      fc.property(json, fc.nat(), fc.integer({ min: 1, max: 290 }), fc.boolean(), (body, at, shift, tamperBody) => {
        const headers = signStripe(stripeSecret, body);
        const verify = (h: Record<string, string>, raw: Buffer | string) =>
          verifyWebhookSignature({ scheme: 'stripe', secrets: stripeSecret, headers: h, rawBody: raw });
        expect(verify(headers, body).scheme).toBe('stripe');
        const moved = headers['Stripe-Signature'].replace(/t=(\d+)/, (_, t) => `t=${Number(t) - shift}`);
        const tampered = tamperBody
          ? () => verify(headers, flipOneByte(body, at))
          : () => verify({ 'Stripe-Signature': moved }, body);
        expect(tampered).toThrow(WebhookVerificationError);
      }),
      { numRuns: 200 },
    );
  });

  it('GitHub: a changed body never verifies (GitHub signs neither the delivery id nor a time)', async () => {
    await fc.assert(
      fc.asyncProperty(json, fc.nat(), async (body, at) => {
        const headers = await signGithub('gh-secret', 'delivery', body);
        const verify = (raw: Buffer | string) =>
          verifyWebhookSignature({ scheme: 'github', secrets: 'gh-secret', headers, rawBody: raw });
        expect(verify(body).id).toBe('delivery');
        expect(() => verify(flipOneByte(body, at))).toThrow(WebhookVerificationError);
      }),
      { numRuns: 200 },
    );
  });

  it.each<WebhookScheme>(['standard-webhooks', 'stripe', 'github'])(
    '%s: a wrong secret never verifies',
    async (scheme) => {
      const body = '{"id":"evt_x"}';
      const [right, wrong] =
        scheme === 'standard-webhooks' ? [secret, standardWebhooksSecret()] : ['right-secret', 'wrong-secret'];
      const headers =
        scheme === 'standard-webhooks'
          ? signStandardWebhooks(right, 'msg', body)
          : scheme === 'stripe'
            ? signStripe(right, body)
            : await signGithub(right, 'delivery', body);
      expect(rejection(() => verifyWebhookSignature({ scheme, secrets: wrong, headers, rawBody: body })).reason).toBe(
        'bad-signature',
      );
    },
  );
});
