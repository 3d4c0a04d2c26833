import { createHash, createHmac } from 'node:crypto';
import middy from '@middy/core';
import { verify as githubVerify } from '@octokit/webhooks-methods';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type VerifiedWebhookEvent,
  verifyWebhook,
  verifyWebhookSignature,
  type WebhookScheme,
  WebhookVerificationError,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import {
  rejection,
  signGithub,
  signStandardWebhooks,
  signStripe,
  standardWebhooksSecret,
  stripeClient,
} from '../../support/webhook-signers.js';

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

  it('rejects timestamps outside the tolerance in both directions, and accepts them up to its edge', () => {
    // one fixed clock for signing and verifying: no second can tick over between the two
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const verifyAt = (offsetSeconds: number) => () =>
      verifyWebhookSignature({
        scheme: 'standard-webhooks',
        secrets: secret,
        headers: signStandardWebhooks(secret, 'msg_3', body, new Date(now.getTime() + offsetSeconds * 1000)),
        rawBody: body,
        now,
      });
    for (const offset of [-301, 301]) {
      expect(rejection(verifyAt(offset)).reason).toBe('timestamp-out-of-tolerance');
    }
    for (const offset of [-300, 300]) expect(verifyAt(offset)().id).toBe('msg_3');
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
    ).toEqual({
      scheme: 'github',
      id: `body-sha256:${createHash('sha256').update('Hello, World!').digest('hex')}`,
      deliveryId: 'delivery-1',
      timestamp: undefined,
    });
  });

  it('accepts what @octokit/webhooks-methods signs and rejects what it rejects', async () => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.' });
    const headers = await signGithub('gh-secret', 'delivery-2', body);
    expect(await githubVerify('gh-secret', body, headers['X-Hub-Signature-256'])).toBe(true);
    expect(verifyWebhookSignature({ scheme: 'github', secrets: 'gh-secret', headers, rawBody: body }).deliveryId).toBe(
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
      verifyWebhookSignature({ scheme: 'github', secrets: 'gh-secret', headers: shouting, rawBody: body }).deliveryId,
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
        expect(verify(body).deliveryId).toBe('delivery');
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

describe('Standard Webhooks: what is signed is the bytes, and the headers are what the standard says', () => {
  const secret = standardWebhooksSecret();
  const body = JSON.stringify({ type: 'invoice.paid' });

  /** A sender's signature over exact bytes, computed by hand as the standard defines it. */
  function signBytes(id: string, bytes: Buffer) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), bytes]);
    const signature = createHmac('sha256', key).update(signed).digest('base64');
    return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
  }

  it('verifies the raw bytes: a body signed with byte 0xFF does not verify when sent with 0xFE', () => {
    const signedBytes = Buffer.concat([Buffer.from('{"note":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    const sentBytes = Buffer.from(signedBytes);
    sentBytes[9] = 0xfe;
    const headers = signBytes('msg_bytes', signedBytes);
    const verify = (rawBody: Buffer) =>
      verifyWebhookSignature({ scheme: 'standard-webhooks', secrets: secret, headers, rawBody });

    expect(verify(signedBytes).id).toBe('msg_bytes');
    expect(rejection(() => verify(sentBytes)).reason).toBe('bad-signature');
  });

  it.each([Number.NaN, -1, 0, Number.POSITIVE_INFINITY])(
    'fails closed on toleranceSeconds %s: a configuration error, never any timestamp accepted',
    (toleranceSeconds) => {
      const dayOld = signStandardWebhooks(secret, 'msg_old', body, new Date(Date.now() - 86_400_000));
      expect(() =>
        verifyWebhookSignature({
          scheme: 'standard-webhooks',
          secrets: secret,
          headers: dayOld,
          rawBody: body,
          toleranceSeconds,
        }),
      ).toThrow(TypeError);
    },
  );

  it('names a webhook-id that is not printable ASCII as a malformed header, not a bad signature', () => {
    // a UTF-8 id read as Latin-1 by the HTTP server, as Node reads header bytes
    const id = Buffer.from('msg_é', 'utf8').toString('latin1');
    const headers = { ...signStandardWebhooks(secret, 'msg_é', body), 'webhook-id': id };
    const error = rejection(() =>
      verifyWebhookSignature({ scheme: 'standard-webhooks', secrets: secret, headers, rawBody: body }),
    );
    expect(error.reason).toBe('malformed-header');
    expect(error.message).toMatch(/webhook-id/);
    expect(error.statusCode).toBe(400);
  });

  it("accepts Svix's svix-id / svix-timestamp / svix-signature as the standard's headers", () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const signed = signStandardWebhooks(secret, 'msg_svix', body, at);
    const headers = {
      'Svix-Id': signed['webhook-id'],
      'Svix-Timestamp': signed['webhook-timestamp'],
      'Svix-Signature': signed['webhook-signature'],
    };
    expect(verifyWebhookSignature({ scheme: 'standard-webhooks', secrets: secret, headers, rawBody: body })).toEqual({
      scheme: 'standard-webhooks',
      id: 'msg_svix',
      timestamp: at,
    });
    const tampered = { ...headers, 'Svix-Id': 'msg_other' };
    expect(
      rejection(() =>
        verifyWebhookSignature({ scheme: 'standard-webhooks', secrets: secret, headers: tampered, rawBody: body }),
      ).reason,
    ).toBe('bad-signature');
  });
});

describe('GitHub: the key is what the signature covers', () => {
  it('gives a captured delivery replayed under a new X-GitHub-Delivery the same id, and another body another', async () => {
    const body = JSON.stringify({ action: 'opened', number: 7 });
    const original = await signGithub('gh-secret', 'delivery-a', body);
    const replayed = { ...original, 'X-GitHub-Delivery': 'delivery-forged' };
    const verify = (headers: Record<string, string>, rawBody: string) =>
      verifyWebhookSignature({ scheme: 'github', secrets: 'gh-secret', headers, rawBody });

    expect(verify(replayed, body).id).toBe(verify(original, body).id);
    const other = JSON.stringify({ action: 'opened', number: 8 });
    expect(verify(await signGithub('gh-secret', 'delivery-b', other), other).id).not.toBe(verify(original, body).id);
  });
});

describe('verifyWebhook middleware: refreshing secrets after a mismatch', () => {
  const secret = standardWebhooksSecret();
  const body = '{"type":"x"}';

  function handlerWith(source: { current(): string[]; refresh(): string[] }, refreshIntervalMs?: number) {
    return middy<APIGatewayProxyEvent, APIGatewayProxyResult | undefined>()
      .use(verifyWebhook({ scheme: 'standard-webhooks', secrets: source, refreshIntervalMs }))
      .handler(async (event) => ({
        statusCode: 202,
        body: String((event as VerifiedWebhookEvent).webhook.id),
      }));
  }
  const send = async (handler: ReturnType<typeof handlerWith>, signingSecret: string, id: string) =>
    (await handler(
      { body, headers: signStandardWebhooks(signingSecret, id, body), isBase64Encoded: false } as never,
      lambdaContext(),
    )) as APIGatewayProxyResult;

  it('asks any SecretSource to refresh at most once per interval, however many forged requests arrive', async () => {
    let refreshes = 0;
    const handler = handlerWith({
      current: () => [secret],
      refresh: () => {
        refreshes++;
        return [secret];
      },
    });
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await send(handler, standardWebhooksSecret(), `forged-${attempt}`)).statusCode).toBe(401);
    }
    expect(refreshes).toBe(1);
    expect((await send(handler, secret, 'good')).statusCode).toBe(202);
  });

  it('still picks up a rotated secret on the first mismatch', async () => {
    const rotated = standardWebhooksSecret();
    let secrets = [secret];
    const handler = handlerWith({ current: () => secrets, refresh: () => secrets }, 60_000);
    expect((await send(handler, secret, 'before')).statusCode).toBe(202);
    secrets = [rotated];
    expect((await send(handler, rotated, 'after')).statusCode).toBe(202);
  });

  it('refuses a refreshIntervalMs that is not a number >= 0', () => {
    expect(() =>
      verifyWebhook({ scheme: 'standard-webhooks', secrets: secret, refreshIntervalMs: Number.NaN }),
    ).toThrow(TypeError);
  });
});

describe('verifyWebhook middleware: as Middy sees it', () => {
  it("reports its own name to Middy's plugin hooks, as Middy's middlewares do", async () => {
    const names: string[] = [];
    const secret = `whsec_${Buffer.from('a'.repeat(32)).toString('base64')}`;
    const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult | undefined>({
      beforeMiddleware: (name: string) => names.push(name),
    })
      .use(verifyWebhook({ scheme: 'standard-webhooks', secrets: secret }))
      .handler(async () => ({ statusCode: 202, body: '' }));
    const response = await handler({ headers: {}, body: '{}' } as APIGatewayProxyEvent, lambdaContext());
    expect(response?.statusCode).toBe(401); // no signature headers: rejected before the handler
    expect(names).toEqual(['verifyWebhookBefore']);
  });
});
