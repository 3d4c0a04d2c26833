import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type HmacSchemeDefinition, verifyWebhookSignature, type WebhookPreset } from '../../../lib/index.js';
import { formParamsText } from '../../../lib/webhooks/hmac-verify.js';
import { acme } from '../../support/acme-scheme.js';
import { rejection } from '../../support/webhook-signers.js';

/** One fixed clock for signing and verifying. */
const now = new Date(Math.floor(Date.now() / 1000) * 1000);
const nowSeconds = now.getTime() / 1000;
const SECRET = 'acme-signing-secret';

const hmac = (key: string | Buffer, data: string | Buffer, encoding: 'hex' | 'base64' = 'hex', algorithm = 'sha256') =>
  createHmac(algorithm, key).update(data).digest(encoding);

const verify = (
  scheme: HmacSchemeDefinition | WebhookPreset,
  headers: Record<string, string>,
  rawBody: string,
  options: { secrets?: string; url?: string } = {},
) => verifyWebhookSignature({ scheme, secrets: options.secrets ?? SECRET, headers, rawBody, url: options.url, now });

const body = '{"id":"evt_1"}';

describe('the secret as the key: as is, or base64', () => {
  it('decodes a base64 secret to the key bytes', () => {
    const secret = randomBytes(32).toString('base64');
    const scheme = acme({ secretEncoding: 'base64' });
    const signature = hmac(Buffer.from(secret, 'base64'), body);
    expect(verify(scheme, { 'x-acme-signature': signature }, body, { secrets: secret }).scheme).toBe('acme');
    // the text of the secret as the key is not what the provider signs with
    expect(
      rejection(() => verify(scheme, { 'x-acme-signature': hmac(secret, body) }, body, { secrets: secret })).reason,
    ).toBe('bad-signature');
  });
});

describe('the signature header', () => {
  it('names every alias of a missing header', () => {
    const scheme = acme({ signature: { header: ['x-a', 'x-b', 'x-c'], format: { type: 'plain' } } });
    expect(rejection(() => verify(scheme, {}, body)).message).toBe(
      'Webhook rejected (missing-header): header x-a (or x-b or x-c) is missing',
    );
  });

  it('is malformed when it holds the prefix and no signature', () => {
    const error = rejection(() => verify('github', { 'x-hub-signature-256': 'sha256=' }, body));
    expect(error).toMatchObject({ reason: 'malformed-header', statusCode: 400 });
    expect(error.message).toMatch(/x-hub-signature-256 must start with sha256=$/);
  });

  it('names a list prefix without its trailing separator when no item has it', () => {
    const scheme = acme({
      signature: { header: 'x-acme-signature', format: { type: 'list', separator: ' ', prefix: 'sig=v1,' } },
    });
    expect(rejection(() => verify(scheme, { 'x-acme-signature': 'sig=v2,abc' }, body)).message).toMatch(
      /x-acme-signature has no sig=v1 signature$/,
    );
    expect(verify(scheme, { 'x-acme-signature': `sig=v2,abc sig=v1,${hmac(SECRET, body)}` }, body).scheme).toBe('acme');
  });
});

describe('a pairs header without a signed timestamp', () => {
  const scheme = acme({
    signature: { header: 'x-acme-signature', format: { type: 'pairs', separator: ',', key: 'v1' } },
  });

  it('verifies any v1= pair', () => {
    const webhook = verify(scheme, { 'x-acme-signature': `v0=old,v1=${hmac(SECRET, body)}` }, body);
    expect(webhook.timestamp).toBeUndefined();
  });

  it('says it has no v1= signature', () => {
    const error = rejection(() => verify(scheme, { 'x-acme-signature': 'v0=old' }, body));
    expect(error).toMatchObject({ reason: 'malformed-header' });
    expect(error.message).toMatch(/x-acme-signature has no v1= signature$/);
  });
});

describe('Stripe-style pairs: an item without "=" is a name with no value', () => {
  const stripeSecret = 'whsec_stripe_test';
  const t = String(nowSeconds);
  const v1 = hmac(stripeSecret, `${t}.${body}`);
  const stripe = (header: string) => () =>
    verify('stripe', { 'stripe-signature': header }, body, { secrets: stripeSecret });

  it('verifies the signed pairs', () => {
    expect(stripe(`t=${t},v1=${v1}`)().id).toBe('evt_1');
  });

  it('is not a signature: a bare v1 offers none', () => {
    expect(rejection(stripe(`t=${t},v1`)).message).toMatch(/stripe-signature needs t= and at least one v1=$/);
  });

  it('is a timestamp without a value: a bare t before the real one fails closed', () => {
    const error = rejection(stripe(`v1=${v1}, t,t=${t}`));
    expect(error).toMatchObject({ reason: 'malformed-header' });
    expect(error.message).toMatch(/the signed timestamp is not a number of seconds$/);
  });
});

describe('a timestamp in milliseconds (Linear)', () => {
  const ms = String(now.getTime());
  it.each([
    ['a letter before', `x${ms}`],
    ['a letter after', `${ms}x`],
    ['a space before', ` ${ms}`],
  ])('refuses the time with %s as not a number of milliseconds', (_, webhookTimestamp) => {
    const linearBody = JSON.stringify({ type: 'Issue', webhookTimestamp });
    const error = rejection(() => verify('linear', { 'linear-signature': hmac(SECRET, linearBody) }, linearBody));
    expect(error).toMatchObject({ reason: 'malformed-header', statusCode: 400 });
    expect(error.message).toMatch(/the signed timestamp is not a number of milliseconds$/);
  });

  it('reads a whole number of milliseconds', () => {
    const linearBody = JSON.stringify({ type: 'Issue', webhookTimestamp: now.getTime() });
    expect(verify('linear', { 'linear-signature': hmac(SECRET, linearBody) }, linearBody).timestamp).toStrictEqual(now);
  });
});

describe('what a verified webhook carries', () => {
  it('has no deliveryId when the scheme names no delivery header', () => {
    const webhook = verify(acme(), { 'x-acme-signature': hmac(SECRET, body) }, body);
    expect(webhook).toStrictEqual({
      scheme: 'acme',
      id: `body-sha256:${createHash('sha256').update(body).digest('hex')}`,
      timestamp: undefined,
    });
  });
});

describe('signed parts', () => {
  it('signs a header as the bytes the sender sent (Node reads them as Latin-1)', () => {
    const scheme = acme({ signed: [{ header: 'x-acme-account' }, { text: '.' }, { value: 'body' }] });
    const account = 'café';
    const signature = hmac(SECRET, Buffer.concat([Buffer.from(account, 'latin1'), Buffer.from(`.${body}`)]));
    const headers = { 'x-acme-signature': signature, 'x-acme-account': account };
    expect(verify(scheme, headers, body).scheme).toBe('acme');
  });

  it('signs an empty id part when the id comes from the body, not a header', () => {
    const scheme = acme({ id: { bodyPath: 'id' }, signed: [{ value: 'id' }, { text: '.' }, { value: 'body' }] });
    expect(verify(scheme, { 'x-acme-signature': hmac(SECRET, `.${body}`) }, body).id).toBe('evt_1');
  });

  it('signs the sorted form parameters, and keys the event by their digest, without a body digest in the URL', () => {
    const scheme = acme({ body: 'form', algorithm: 'sha1', encoding: 'base64', signed: [{ value: 'form-params' }] });
    const form = 'To=%2B15550001&Body=hi+there&From=%2B15550002';
    const params = formParamsText(new URLSearchParams(form));
    const webhook = verify(scheme, { 'x-acme-signature': hmac(SECRET, params, 'base64', 'sha1') }, form);
    expect(webhook.id).toBe(`params-sha256:${createHash('sha256').update(params).digest('hex')}`);
  });

  it('refuses a JSON body where the form parameters are signed and the URL carries no body digest (Twilio)', () => {
    const error = rejection(() =>
      verify('twilio', { 'x-twilio-signature': 'c2lnbmF0dXJl' }, '{"MessageSid":"SM1"}', {
        url: 'https://example.com/twilio',
      }),
    );
    expect(error).toMatchObject({ reason: 'bad-signature', statusCode: 401 });
    expect(error.message).toBe(
      'Webhook rejected (bad-signature): the body is not form-encoded parameters, which this scheme signs',
    );
  });
});
