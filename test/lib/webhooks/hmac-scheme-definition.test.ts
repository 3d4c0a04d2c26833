import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type HmacSchemeDefinition,
  HmacSchemeDefinitionError,
  IdempotencyError,
  parseHmacScheme,
  verifyWebhook,
  verifyWebhookSignature,
  webhookPresets,
  webhookSchemeFromText,
} from '../../../lib/index.js';
import { rejection } from '../../support/webhook-signers.js';

const acme: HmacSchemeDefinition = {
  name: 'acme',
  algorithm: 'sha512',
  encoding: 'base64',
  signature: { header: 'x-acme-signature', format: { type: 'pairs', separator: ';', key: 's' } },
  timestamp: { pair: 'ts' },
  signed: [{ value: 'timestamp' }, { text: '|' }, { header: 'x-acme-topic' }, { text: '|' }, { value: 'body' }],
  id: { bodyPath: 'event.id' },
};

function definitionError(value: unknown): HmacSchemeDefinitionError {
  try {
    parseHmacScheme(value);
  } catch (error) {
    if (error instanceof HmacSchemeDefinitionError) return error;
    throw error;
  }
  throw new Error('expected the definition to be refused');
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('a provider as data', () => {
  const sign = (body: string, topic: string, secret = 'acme-secret', ts = nowSeconds()) =>
    createHmac('sha512', secret).update(`${ts}|${topic}|${body}`).digest('base64');

  it('verifies what the definition says is signed, a header included, and reads the id at a body path', () => {
    const body = '{"event":{"id":"ev_42"}}';
    const headers = {
      'X-Acme-Signature': `ts=${nowSeconds()};s=${sign(body, 'order.paid')}`,
      'X-Acme-Topic': 'order.paid',
    };
    expect(verifyWebhookSignature({ scheme: acme, secrets: 'acme-secret', headers, rawBody: body })).toMatchObject({
      scheme: 'acme',
      id: 'ev_42',
    });
    // the topic header is signed: another topic is another message
    const moved = { ...headers, 'X-Acme-Topic': 'order.refunded' };
    expect(
      rejection(() => verifyWebhookSignature({ scheme: acme, secrets: 'acme-secret', headers: moved, rawBody: body }))
        .message,
    ).toBe('Webhook rejected (bad-signature): no s signature in x-acme-signature matches');
  });

  it('refuses a request without a header the definition signs, rather than signing an empty string', () => {
    const body = '{}';
    const headers = { 'x-acme-signature': `ts=${nowSeconds()};s=${sign(body, '')}` };
    const error = rejection(() =>
      verifyWebhookSignature({ scheme: acme, secrets: 'acme-secret', headers, rawBody: body }),
    );
    expect(error.message).toBe('Webhook rejected (missing-header): header x-acme-topic is missing');
  });

  it('accepts any one of several signatures (a rotation), and refuses a header with two timestamps', () => {
    const body = '{}';
    const ts = nowSeconds();
    const headers = (value: string) => ({ 'x-acme-signature': value, 'x-acme-topic': 't' });
    const verify = (value: string) =>
      verifyWebhookSignature({ scheme: acme, secrets: 'acme-secret', headers: headers(value), rawBody: body });
    expect(verify(`ts=${ts};s=${sign(body, 't', 'old')};s=${sign(body, 't')}`).timestamp).toEqual(new Date(ts * 1000));
    const twice = rejection(() => verify(`ts=${ts};ts=${ts - 1};s=${sign(body, 't')}`));
    expect(twice.message).toBe('Webhook rejected (malformed-header): x-acme-signature has more than one ts=');
    expect(twice.statusCode).toBe(400);
  });

  it('survives JSON, so a definition can travel in an environment variable', () => {
    for (const preset of Object.values(webhookPresets)) {
      expect(parseHmacScheme(JSON.parse(JSON.stringify(preset)))).toEqual(preset);
    }
    expect(parseHmacScheme(JSON.parse(JSON.stringify(acme)))).toEqual(acme);
  });

  it('is checked when the middleware is created: a broken one never reaches a request', () => {
    expect(() => verifyWebhook({ scheme: { ...acme, algorithm: 'md5' } as never, secrets: 'x' })).toThrow(
      HmacSchemeDefinitionError,
    );
  });
});

describe('a definition that cannot work is refused, with what is wrong', () => {
  it('names every problem at once, and is a non-retryable IdempotencyError', () => {
    const error = definitionError({
      name: 'Acme Corp',
      algorithm: 'md5',
      encoding: 'hex',
      signature: {},
      signed: [],
      id: {},
    });
    expect(error).toBeInstanceOf(IdempotencyError);
    expect(error.retryable).toBe(false);
    expect(error.problems).toEqual([
      'name must be lower-case letters, digits, ".", "_" or "-"',
      'algorithm must be one of sha1, sha256, sha512',
      'signature must be { header: "<lower-case name>" (or a list), format: { type: "plain" | "list" | "pairs", ... } }',
      'signed must be a non-empty list of { text } | { value: body | timestamp | id | url | form-params } | { header }',
      'id must be { header } | { bodyPath } | { digest: "body-sha256" }',
      'signed must include the body (or form-params, or a bodyDigestParam): otherwise the body is not protected',
    ]);
    expect(error.message).toMatch(/^The webhook scheme definition "Acme Corp" cannot be used: name must be/);
  });

  it.each<[string, Partial<HmacSchemeDefinition> | Record<string, unknown>, string]>([
    [
      'an id header that is not signed',
      { id: { header: 'x-acme-id' } },
      'an id from a header must be signed (add { value: "id" } to signed), else anyone can change it: use { digest: "body-sha256" }',
    ],
    [
      'a timestamp that is not signed',
      { timestamp: { header: 'x-acme-time' }, signed: [{ value: 'body' }] },
      'a timestamp that is not signed protects nothing: add { value: "timestamp" } to signed',
    ],
    [
      'a signed timestamp with no source',
      { timestamp: undefined },
      'signed includes the timestamp but no timestamp source is given',
    ],
    [
      'a timestamp pair without a pairs header',
      { signature: { header: 'x-acme-signature', format: { type: 'plain' } } },
      'timestamp.pair needs a pairs signature format',
    ],
    [
      'a header name in capitals, which lower-cased headers never match',
      { signature: { header: 'X-Acme-Signature', format: { type: 'plain' } } },
      'signature must be { header: "<lower-case name>" (or a list), format: { type: "plain" | "list" | "pairs", ... } }',
    ],
    [
      'a list format without the prefix of its items',
      { signature: { header: 'x-a', format: { type: 'list', separator: ' ' } } },
      'a list signature needs a separator and the prefix of the items to check',
    ],
    [
      'form parameters signed from a JSON body',
      { signed: [{ value: 'url' }, { value: 'form-params' }], timestamp: undefined },
      'form-params are signed but body is not form or json-or-form',
    ],
    [
      'a tolerance of zero',
      { timestamp: { pair: 'ts', toleranceSeconds: 0 } },
      'timestamp.toleranceSeconds must be a positive number',
    ],
    [
      'a part with two keys',
      { signed: [{ value: 'body', text: 'x' }] },
      'signed must be a non-empty list of { text } | { value: body | timestamp | id | url | form-params } | { header }',
    ],
  ])('refuses %s', (_, change, problem) => {
    expect(definitionError({ ...acme, ...change }).problems).toContain(problem);
  });

  it('refuses what is not an object', () => {
    expect(definitionError('stripe').problems[0]).toBe('a definition is an object (got string)');
  });
});

describe('schemes that sign the URL', () => {
  it('say so when no URL is passed: a deployment error, not a 401', () => {
    expect(() =>
      verifyWebhookSignature({
        scheme: 'square',
        secrets: 'k',
        headers: { 'x-square-hmacsha256-signature': 'AAAA' },
        rawBody: '{}',
      }),
    ).toThrow(
      new TypeError('verifyWebhook: this scheme signs the request URL: pass `url` (the URL the provider posts to).'),
    );
  });
});

describe('Linear: the timestamp inside the signed body, in milliseconds', () => {
  const secret = 'lin_wh_secret';
  const verify = (body: string, toleranceSeconds?: number) =>
    verifyWebhookSignature({
      scheme: 'linear',
      secrets: secret,
      headers: { 'linear-signature': createHmac('sha256', secret).update(body).digest('hex') },
      rawBody: body,
      toleranceSeconds,
    });

  it("keeps Linear's one-minute window unless the caller widens it", () => {
    const body = JSON.stringify({ action: 'create', webhookTimestamp: Date.now() - 90_000 });
    expect(rejection(() => verify(body)).reason).toBe('timestamp-out-of-tolerance');
    expect(verify(body, 120).timestamp?.getTime()).toBe(JSON.parse(body).webhookTimestamp);
  });

  it.each([
    ['a string of letters', '"soon"'],
    ['a fraction', '1.5'],
    ['nothing', 'null'],
  ])('refuses a webhookTimestamp that is %s (400)', (_, value) => {
    expect(rejection(() => verify(`{"webhookTimestamp":${value}}`)).reason).toBe('malformed-header');
  });
});

describe('a scheme from a setting (an environment variable, a CDK prop)', () => {
  it('reads a preset name or a JSON definition', () => {
    expect(webhookSchemeFromText(' shopify ')).toBe(webhookPresets.shopify);
    expect(webhookSchemeFromText(JSON.stringify(acme))).toEqual(acme);
  });

  it('says what is wrong with text that is neither', () => {
    expect(() => webhookSchemeFromText('{"name":')).toThrow(HmacSchemeDefinitionError);
    expect(() => webhookSchemeFromText('{"name":')).toThrow(/is not JSON/);
    expect(() => webhookSchemeFromText('shopfiy')).toThrow(
      /^verifyWebhook: scheme must be one of standard-webhooks, stripe, github, shopify, .*\(got "shopfiy"\)\.$/,
    );
  });
});
