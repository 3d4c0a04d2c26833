import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhookSignature, type WebhookScheme } from '../../../lib/index.js';
import { rejection, signStandardWebhooks, signStripe, standardWebhooksSecret } from '../../support/webhook-signers.js';

/** One fixed clock for signing and verifying. */
const now = new Date(Math.floor(Date.now() / 1000) * 1000);
const nowSeconds = now.getTime() / 1000;

function configurationError(run: () => unknown): TypeError {
  try {
    run();
  } catch (error) {
    if (error instanceof TypeError) return error;
    throw error;
  }
  throw new Error('expected a TypeError');
}

const verify = (
  scheme: WebhookScheme,
  secrets: string | string[],
  headers: Record<string, string | undefined> | null | undefined,
  rawBody: Buffer | string,
  toleranceSeconds?: number,
) => verifyWebhookSignature({ scheme, secrets, headers, rawBody, toleranceSeconds, now });

describe('Standard Webhooks: each rejection, with the reason and the message a caller reads', () => {
  const secret = standardWebhooksSecret();
  const body = '{"type":"invoice.paid"}';
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const sig = (id: string, timestamp: string, raw = body) =>
    createHmac('sha256', key).update(`${id}.${timestamp}.${raw}`).digest('base64');
  const signed = (id = 'msg_1', timestamp = String(nowSeconds)) => ({
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${sig(id, timestamp)}`,
  });

  it.each(['id', 'timestamp', 'signature'])('names a missing webhook-%s and its svix- alias (401)', (name) => {
    const headers: Record<string, string | undefined> = signed();
    delete headers[`webhook-${name}`];
    const error = rejection(() => verify('standard-webhooks', secret, headers, body));
    expect(error.message).toBe(
      `Webhook rejected (missing-header): header webhook-${name} (or svix-${name}) is missing`,
    );
    expect(error).toMatchObject({ reason: 'missing-header', statusCode: 401 });
  });

  it('treats a header of only spaces as missing, and trims the spaces around a value', () => {
    expect(
      rejection(() => verify('standard-webhooks', secret, { ...signed(), 'webhook-id': '   ' }, body)).reason,
    ).toBe('missing-header');
    const padded = signed('msg_pad');
    const headers = {
      'webhook-id': ` ${padded['webhook-id']} `,
      'webhook-timestamp': ` ${padded['webhook-timestamp']} `,
      'webhook-signature': ` ${padded['webhook-signature']} `,
    };
    expect(verify('standard-webhooks', secret, headers, body).id).toBe('msg_pad');
  });

  it('reads webhook-* before svix-* when a sender sends both', () => {
    const headers = { ...signed('msg_webhook'), 'svix-id': 'msg_svix', 'svix-signature': 'v1,AAAA' };
    expect(verify('standard-webhooks', secret, headers, body).id).toBe('msg_webhook');
  });

  it('accepts every printable ASCII character in webhook-id and refuses a space inside it (400)', () => {
    const id = '!msg~';
    expect(verify('standard-webhooks', secret, signed(id), body).id).toBe(id);
    const error = rejection(() => verify('standard-webhooks', secret, signed('msg 1'), body));
    expect(error.message).toBe(
      'Webhook rejected (malformed-header): webhook-id must be printable ASCII without spaces',
    );
    expect(error.statusCode).toBe(400);
  });

  it.each(['abc', '12.5', '-1', `+${nowSeconds}`, '1234567890123', `${nowSeconds}x`])(
    'refuses the timestamp %j as not a number of seconds (400)',
    (timestamp) => {
      const error = rejection(() => verify('standard-webhooks', secret, signed('msg_t', timestamp), body));
      expect(error.message).toBe(
        'Webhook rejected (malformed-header): the signed timestamp is not a number of seconds',
      );
      expect(error.statusCode).toBe(400);
    },
  );

  it('says how far the timestamp may be, by default 300 s and otherwise the configured tolerance', () => {
    const old = signed('msg_old', String(nowSeconds - 301));
    const byDefault = rejection(() => verify('standard-webhooks', secret, old, body));
    expect(byDefault.message).toBe(
      'Webhook rejected (timestamp-out-of-tolerance): the signed timestamp is more than 300 s from now',
    );
    expect(byDefault.statusCode).toBe(401);
    expect(verify('standard-webhooks', secret, old, body, 301).id).toBe('msg_old');
    const tight = signed('msg_tight', String(nowSeconds + 11));
    expect(rejection(() => verify('standard-webhooks', secret, tight, body, 10)).message).toBe(
      'Webhook rejected (timestamp-out-of-tolerance): the signed timestamp is more than 10 s from now',
    );
    expect(verify('standard-webhooks', secret, signed('msg_edge', String(nowSeconds - 10)), body, 10).id).toBe(
      'msg_edge',
    );
  });

  it('checks the timestamp before the signature: an old replay is out of tolerance, not a bad signature', () => {
    const headers = { ...signed('msg_old', String(nowSeconds - 3600)), 'webhook-signature': 'v1,AAAA' };
    expect(rejection(() => verify('standard-webhooks', secret, headers, body)).reason).toBe(
      'timestamp-out-of-tolerance',
    );
  });

  it('refuses a signature header with no v1 signature as malformed (400), and ignores other versions', () => {
    const good = signed('msg_v');
    for (const value of ['v2,abc', 'v1abc', `xv1,${sig('msg_v', String(nowSeconds))}`]) {
      const error = rejection(() => verify('standard-webhooks', secret, { ...good, 'webhook-signature': value }, body));
      expect(error.message).toBe('Webhook rejected (malformed-header): webhook-signature has no v1 signature');
      expect(error.statusCode).toBe(400);
    }
    const mixed = {
      ...good,
      'webhook-signature': `v2,${sig('msg_v', String(nowSeconds))} ${good['webhook-signature']}`,
    };
    expect(verify('standard-webhooks', secret, mixed, body).id).toBe('msg_v');
    const onlyV2 = { ...good, 'webhook-signature': `v2,${sig('msg_v', String(nowSeconds))} v1,AAAA` };
    expect(rejection(() => verify('standard-webhooks', secret, onlyV2, body)).reason).toBe('bad-signature');
  });

  it('says no signature matches when none does (401)', () => {
    const headers = { ...signed('msg_b'), 'webhook-signature': `v1,${sig('msg_b', String(nowSeconds), 'other')}` };
    const error = rejection(() => verify('standard-webhooks', secret, headers, body));
    expect(error.message).toBe('Webhook rejected (bad-signature): no webhook-signature matches');
    expect(error.statusCode).toBe(401);
  });

  it('accepts the secret without its whsec_ prefix, as the standardwebhooks package does', () => {
    const bare = secret.slice('whsec_'.length);
    expect(verify('standard-webhooks', bare, signed('msg_bare'), body).id).toBe('msg_bare');
  });

  it('tries every secret of a rotation list, the matching one last', () => {
    const headers = signStandardWebhooks(secret, 'msg_rot', body, now);
    const others = [standardWebhooksSecret(), standardWebhooksSecret()];
    expect(verify('standard-webhooks', [...others, secret], headers, body).id).toBe('msg_rot');
  });

  it('reads headers of null as none at all', () => {
    expect(rejection(() => verify('standard-webhooks', secret, null, body)).reason).toBe('missing-header');
  });
});

describe('Stripe: each rejection, with the reason and the message a caller reads', () => {
  const secret = 'whsec_stripe_edges';
  const body = JSON.stringify({ id: 'evt_1' });
  const v1 = (t: number | string, raw = body, s = secret) =>
    createHmac('sha256', s).update(`${t}.${raw}`).digest('hex');

  it('names a missing stripe-signature header (401)', () => {
    const error = rejection(() => verify('stripe', secret, { 'content-type': 'application/json' }, body));
    expect(error.message).toBe('Webhook rejected (missing-header): header stripe-signature is missing');
    expect(error.statusCode).toBe(401);
  });

  it.each([
    ['no v1=', `t=${nowSeconds}`],
    ['an empty v1=', `t=${nowSeconds},v1=`],
    ['no t=', `v1=${'0'.repeat(64)}`],
    ['an empty t=', `t=,v1=${'0'.repeat(64)}`],
    ['only v0=', `t=${nowSeconds},v0=${'0'.repeat(64)}`],
  ])('refuses a header with %s as malformed (400)', (_, header) => {
    const error = rejection(() => verify('stripe', secret, { 'stripe-signature': header }, body));
    expect(error.message).toBe('Webhook rejected (malformed-header): stripe-signature needs t= and at least one v1=');
    expect(error.statusCode).toBe(400);
  });

  it('refuses a t= that is not a number of seconds', () => {
    const error = rejection(() => verify('stripe', secret, { 'stripe-signature': `t=soon,v1=${v1('soon')}` }, body));
    expect(error.message).toBe('Webhook rejected (malformed-header): the signed timestamp is not a number of seconds');
  });

  it('accepts spaces around the parts of the header', () => {
    const header = ` t=${nowSeconds} , v1=${v1(nowSeconds)} `;
    expect(verify('stripe', secret, { 'stripe-signature': header }, body).id).toBe('evt_1');
  });

  it('reports the signed time as the timestamp', () => {
    const signed = verify('stripe', secret, signStripe(secret, body, now), body);
    expect(signed).toEqual({ scheme: 'stripe', id: 'evt_1', timestamp: now });
  });

  it('says no v1 signature matches when none does (401), and accepts the second secret of a rotation', () => {
    const header = `t=${nowSeconds},v1=${v1(nowSeconds, body, 'whsec_old')}`;
    const error = rejection(() => verify('stripe', secret, { 'stripe-signature': header }, body));
    expect(error.message).toBe('Webhook rejected (bad-signature): no v1 signature in stripe-signature matches');
    expect(error.statusCode).toBe(401);
    expect(verify('stripe', [secret, 'whsec_old'], { 'stripe-signature': header }, body).id).toBe('evt_1');
  });

  it('rejects a stale timestamp with the tolerance in the message', () => {
    const t = nowSeconds - 301;
    const error = rejection(() => verify('stripe', secret, { 'stripe-signature': `t=${t},v1=${v1(t)}` }, body));
    expect(error.message).toBe(
      'Webhook rejected (timestamp-out-of-tolerance): the signed timestamp is more than 300 s from now',
    );
  });

  it.each([
    ['no id', '{"type":"x"}'],
    ['an empty id', '{"id":""}'],
    ['a numeric id', '{"id":42}'],
    ['a body of null', 'null'],
    ['a body that is not JSON', 'not json'],
  ])('verifies a body with %s and reports no id', (_, raw) => {
    const header = `t=${nowSeconds},v1=${v1(nowSeconds, raw)}`;
    expect(verify('stripe', secret, { 'stripe-signature': header }, raw)).toEqual({
      scheme: 'stripe',
      id: undefined,
      timestamp: now,
    });
  });
});

describe('GitHub: each rejection, with the reason and the message a caller reads', () => {
  const secret = 'gh-edges';
  const body = '{"zen":"x"}';
  const signature = (s = secret, raw = body) => `sha256=${createHmac('sha256', s).update(raw).digest('hex')}`;

  it('names the missing signature header first, then the missing delivery header (401)', () => {
    const none = rejection(() => verify('github', secret, {}, body));
    expect(none.message).toBe('Webhook rejected (missing-header): header x-hub-signature-256 is missing');
    expect(none.statusCode).toBe(401);
    const noDelivery = rejection(() => verify('github', secret, { 'x-hub-signature-256': signature() }, body));
    expect(noDelivery.message).toBe('Webhook rejected (missing-header): header x-github-delivery is missing');
  });

  it('says the signature does not match (401), and accepts the second secret of a rotation', () => {
    const headers = { 'x-hub-signature-256': signature('gh-old'), 'x-github-delivery': 'd-1' };
    const error = rejection(() => verify('github', secret, headers, body));
    expect(error.message).toBe('Webhook rejected (bad-signature): x-hub-signature-256 does not match');
    expect(error.statusCode).toBe(401);
    expect(verify('github', [secret, 'gh-old'], headers, body).deliveryId).toBe('d-1');
  });

  it('refuses a sha1= signature as malformed (400)', () => {
    const headers = { 'x-hub-signature-256': 'sha1=abc', 'x-github-delivery': 'd-1' };
    expect(rejection(() => verify('github', secret, headers, body))).toMatchObject({
      reason: 'malformed-header',
      statusCode: 400,
    });
  });
});

describe('verifyWebhookSignature: secrets and tolerance the scheme cannot use are configuration errors', () => {
  it.each<WebhookScheme>(['standard-webhooks', 'stripe', 'github'])('%s: no secret at all', (scheme) => {
    expect(configurationError(() => verify(scheme, [], {}, '{}')).message).toBe(
      `verifyWebhook: no ${scheme} secret configured.`,
    );
  });

  it.each<WebhookScheme>(['standard-webhooks', 'stripe', 'github'])('%s: an empty or blank secret', (scheme) => {
    for (const secrets of ['', '   ', ['whsec_dGVzdA==', ' ']]) {
      expect(configurationError(() => verify(scheme, secrets, {}, '{}')).message).toBe(
        `verifyWebhook: a ${scheme} secret must be a non-empty string.`,
      );
    }
  });

  it.each(['whsec_', 'whsec_not base64', 'whsec_abc', 'whsec_ab=c', 'whsec_a==='])(
    'standard-webhooks: %j is not "whsec_" followed by base64',
    (secret) => {
      expect(configurationError(() => verify('standard-webhooks', secret, {}, '{}')).message).toBe(
        'verifyWebhook: a Standard Webhooks secret is "whsec_" followed by base64.',
      );
    },
  );

  it('stripe and github take any non-empty secret as is', () => {
    for (const scheme of ['stripe', 'github'] as const) {
      expect(rejection(() => verify(scheme, 'not base64!', {}, '{}')).reason).toBe('missing-header');
    }
  });

  it.each([Number.NaN, 0, -5])('names a toleranceSeconds of %s in the error', (toleranceSeconds) => {
    const secret = standardWebhooksSecret();
    expect(configurationError(() => verify('standard-webhooks', secret, {}, '{}', toleranceSeconds)).message).toBe(
      `verifyWebhook: toleranceSeconds must be a positive number (got ${toleranceSeconds}).`,
    );
  });

  it.each([
    ['the parsed JSON', { id: 'evt_1', type: 'invoice.paid' }, 'an object'],
    ['an array', [1, 2], 'an array'],
    ['no body', undefined, 'undefined'],
  ])('stripe: %s as rawBody is refused before any signature check, saying to pass the raw body', (_, rawBody, got) => {
    const body = JSON.stringify(rawBody ?? {});
    const headers = signStripe('whsec_test', body, now);
    const error = configurationError(() =>
      verifyWebhookSignature({ scheme: 'stripe', secrets: 'whsec_test', headers, rawBody: rawBody as never, now }),
    );
    expect(error.message).toBe(
      `verifyWebhookSignature: \`rawBody\` must be the body as received (a Buffer or a string), not the parsed JSON (got ${got}). ` +
        'Pass the raw body before any JSON parsing: rawBodyOf(event) for API Gateway.',
    );
  });

  it('a Uint8Array body is the bytes as received, like a Buffer', () => {
    const body = '{"id":"evt_bytes"}';
    const headers = signStripe('whsec_test', body, now);
    const rawBody = new Uint8Array(Buffer.from(body)) as Buffer;
    expect(verifyWebhookSignature({ scheme: 'stripe', secrets: 'whsec_test', headers, rawBody, now }).id).toBe(
      'evt_bytes',
    );
  });

  it('accepts a tolerance below one second', () => {
    const secret = standardWebhooksSecret();
    const headers = signStandardWebhooks(secret, 'msg_half', '{}', now);
    expect(verify('standard-webhooks', secret, headers, '{}', 0.5).id).toBe('msg_half');
  });
});

describe('found by mutation testing: what each scheme reads, at its edges', () => {
  it('refuses a secret that is not a string, as a configuration error naming the scheme', () => {
    for (const scheme of ['standard-webhooks', 'stripe', 'github'] as const) {
      expect(configurationError(() => verify(scheme, [42 as never], {}, '{}')).message).toBe(
        `verifyWebhook: a ${scheme} secret must be a non-empty string.`,
      );
    }
  });

  it.each(['whsec_!abc', 'whsec_abc!', 'whsec_ab c'])(
    'standard-webhooks: refuses %j, whose base64 has a stray character at either end or inside',
    (secret) => {
      expect(configurationError(() => verify('standard-webhooks', secret, {}, '{}')).message).toBe(
        'verifyWebhook: a Standard Webhooks secret is "whsec_" followed by base64.',
      );
    },
  );

  it('stripe: finds t= wherever it stands in the header', () => {
    const secret = 'whsec_stripe_order';
    const body = '{"id":"evt_order"}';
    const v1 = createHmac('sha256', secret).update(`${nowSeconds}.${body}`).digest('hex');
    expect(verify('stripe', secret, { 'stripe-signature': `v1=${v1},t=${nowSeconds}` }, body).id).toBe('evt_order');
  });

  it.each([
    ['an array', '{"id":["evt_1"]}'],
    ['an object with a length', '{"id":{"length":3}}'],
  ])('stripe: reports no id when the body id is %s', (_, raw) => {
    const secret = 'whsec_stripe_ids';
    const v1 = createHmac('sha256', secret).update(`${nowSeconds}.${raw}`).digest('hex');
    expect(verify('stripe', secret, { 'stripe-signature': `t=${nowSeconds},v1=${v1}` }, raw).id).toBeUndefined();
  });

  it('github: trims the header values, and reads a delivery id of only spaces as missing', () => {
    const secret = 'gh-trim';
    const body = '{}';
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    expect(
      verify('github', secret, { 'x-hub-signature-256': ` ${signature} `, 'x-github-delivery': ' d-1 ' }, body)
        .deliveryId,
    ).toBe('d-1');
    expect(
      rejection(() => verify('github', secret, { 'x-hub-signature-256': signature, 'x-github-delivery': '  ' }, body))
        .message,
    ).toBe('Webhook rejected (missing-header): header x-github-delivery is missing');
  });
});
