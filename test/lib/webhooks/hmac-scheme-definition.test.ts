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

describe('the message of a refused definition', () => {
  it('names the scheme, lists every problem and points to the documentation', () => {
    const error = definitionError({ ...acme, encoding: 'base32', body: 'xml' });
    expect(error.name).toBe('HmacSchemeDefinitionError');
    expect(error.message).toBe(
      'The webhook scheme definition "acme" cannot be used: encoding must be one of hex, base64; ' +
        'body must be json, form or json-or-form. See docs/webhooks.md#adding-a-provider-as-data.',
    );
  });

  it.each([
    ['no name', undefined],
    ['an empty name', ''],
    ['a name that is not a string', 42],
  ])('names no scheme when it has %s', (_, name) => {
    expect(definitionError({ ...acme, name }).message).toMatch(
      /^The webhook scheme definition cannot be used: name must be lower-case letters/,
    );
  });

  it.each([
    ['null', null, 'null'],
    ['an array', [acme], 'an array'],
    ['a number', 7, 'number'],
  ])('says what it got instead of an object: %s', (_, value, got) => {
    expect(definitionError(value).problems[0]).toBe(`a definition is an object (got ${got})`);
  });
});

/** A definition with a plain signature and a timestamp header, for the formats that have no pairs. */
const plain: HmacSchemeDefinition = {
  ...acme,
  signature: { header: 'x-acme-signature', format: { type: 'plain' } },
  timestamp: { header: 'x-acme-timestamp' },
};
const digestParam = { name: 'bodySHA256', algorithm: 'sha256', encoding: 'hex' } as const;
const challenge = { when: { bodyPath: 'type', equals: 'url_verification' }, respond: { challenge: { bodyPath: 'c' } } };

describe('every documented variant is accepted as it is', () => {
  it.each<[string, HmacSchemeDefinition]>([
    ...(['sha1', 'sha256', 'sha512'] as const).map((algorithm) => [`algorithm ${algorithm}`, { ...acme, algorithm }]),
    ...(['hex', 'base64'] as const).map((encoding) => [`encoding ${encoding}`, { ...acme, encoding }]),
    ...(['utf8', 'base64', 'whsec-base64'] as const).map((secretEncoding) => [
      `secretEncoding ${secretEncoding}`,
      { ...acme, secretEncoding },
    ]),
    ...(['json', 'form', 'json-or-form'] as const).map((body) => [`body ${body}`, { ...acme, body }]),
    ['a name with digits, ".", "_" and "-"', { ...acme, name: '0acme.v2_eu-west' }],
    ['a title', { ...acme, title: 'Acme Corp' }],
    ['a plain signature without a prefix', plain],
    [
      'a plain signature with a prefix',
      { ...plain, signature: { header: 'x-a', format: { type: 'plain', prefix: 'sha256=' } } },
    ],
    [
      'a list signature',
      { ...plain, signature: { header: 'webhook-signature', format: { type: 'list', separator: ' ', prefix: 'v1,' } } },
    ],
    ['a pairs signature', acme],
    ['a signature header with aliases', { ...acme, signature: { ...acme.signature, header: ['x-acme-sig', 'x-sig'] } }],
    ['a timestamp header', plain],
    ['a timestamp header with aliases', { ...plain, timestamp: { header: ['x-acme-timestamp', 'x-ts'] } }],
    ['a timestamp pair', acme],
    [
      'a timestamp in the body, unsigned',
      { ...plain, timestamp: { bodyPath: 'sent_at' }, signed: [{ value: 'body' }] },
    ],
    ['a timestamp in seconds', { ...acme, timestamp: { pair: 'ts', unit: 's' } }],
    ['a timestamp in milliseconds', { ...acme, timestamp: { pair: 'ts', unit: 'ms' } }],
    ['a tolerance', { ...acme, timestamp: { pair: 'ts', toleranceSeconds: 0.5 } }],
    [
      'an id header that is signed',
      { ...acme, id: { header: 'x-acme-id' }, signed: [...acme.signed, { value: 'id' }] },
    ],
    [
      'an id header with aliases that is signed',
      { ...acme, id: { header: ['x-acme-id', 'x-id'] }, signed: [...acme.signed, { value: 'id' }] },
    ],
    ['an id at a body path', acme],
    ['an id digest', { ...acme, id: { digest: 'body-sha256' } }],
    ['a delivery id header', { ...acme, deliveryIdHeader: 'x-acme-delivery' }],
    ['delivery id header aliases', { ...acme, deliveryIdHeader: ['x-acme-delivery', 'x-delivery'] }],
    [
      'signed text, headers, the url and every value',
      {
        ...plain,
        id: { header: 'x-acme-id' },
        signed: [
          { text: '' },
          { header: 'x-acme-topic' },
          { value: 'url' },
          { value: 'id' },
          { value: 'timestamp' },
          { value: 'body' },
        ],
      },
    ],
    [
      'form parameters signed from a form body',
      { ...plain, timestamp: undefined, body: 'form', signed: [{ value: 'url' }, { value: 'form-params' }] },
    ],
    [
      'a body digest in the signed url instead of the body',
      { ...plain, timestamp: undefined, signed: [{ value: 'url' }], bodyDigestParam: digestParam },
    ],
    ...(['sha1', 'sha512'] as const).map((algorithm) => [
      `a body digest in sha1 or sha512 (${algorithm}), base64`,
      {
        ...plain,
        timestamp: undefined,
        signed: [{ value: 'url' }],
        bodyDigestParam: { name: 'd', algorithm, encoding: 'base64' },
      },
    ]),
    ['a challenge answered with a body value', { ...acme, challenge }],
    [
      'a challenge answered with several fields, an HMAC among them',
      {
        ...acme,
        challenge: {
          when: { bodyPath: 'event', equals: '' },
          respond: {
            plainToken: { bodyPath: 'payload.plainToken' },
            encryptedToken: { hmacOfBodyPath: 'payload.plainToken' },
          },
        },
      },
    ],
  ] as [string, HmacSchemeDefinition][])('%s', (_, definition) => {
    expect(parseHmacScheme(definition)).toBe(definition);
  });
});

describe('each mistake is named', () => {
  const signature = (format: Record<string, unknown>) => ({ signature: { header: 'x-acme-signature', format } });
  const signatureProblem =
    'signature must be { header: "<lower-case name>" (or a list), format: { type: "plain" | "list" | "pairs", ... } }';
  const signedProblem =
    'signed must be a non-empty list of { text } | { value: body | timestamp | id | url | form-params } | { header }';
  const timestampSourceProblem = 'timestamp must name exactly one of header, pair or bodyPath';
  const idProblem = 'id must be { header } | { bodyPath } | { digest: "body-sha256" }';
  const digestProblem = 'bodyDigestParam must be { name, algorithm, encoding }';
  const challengeProblem =
    'challenge must be { when: { bodyPath, equals }, respond: { <field>: { bodyPath } | { hmacOfBodyPath } } }';
  const digestSigned = { signed: [...acme.signed, { value: 'url' }] };
  const nameProblem = 'name must be lower-case letters, digits, ".", "_" or "-"';
  const deliveryProblem = 'deliveryIdHeader must be a lower-case header name (or a list)';

  it.each<[string, HmacSchemeDefinition | Record<string, unknown>, string[]]>([
    ['no name', { ...acme, name: undefined }, [nameProblem]],
    ['a name that is a number', { ...acme, name: 42 }, [nameProblem]],
    ['a name with a space', { ...acme, name: 'acme corp' }, [nameProblem]],
    ['a name that starts with "-"', { ...acme, name: '-acme' }, [nameProblem]],
    ['an unknown algorithm', { ...acme, algorithm: 'sha384' }, ['algorithm must be one of sha1, sha256, sha512']],
    ['an unknown encoding', { ...acme, encoding: 'base32' }, ['encoding must be one of hex, base64']],
    [
      'an unknown secretEncoding',
      { ...acme, secretEncoding: 'hex' },
      ['secretEncoding must be utf8, base64 or whsec-base64'],
    ],
    ['an unknown body', { ...acme, body: 'xml' }, ['body must be json, form or json-or-form']],
    ['an empty title', { ...acme, title: '' }, ['title must be a non-empty string']],
    ['a title that is not a string', { ...acme, title: 7 }, ['title must be a non-empty string']],
    ['a delivery id header in capitals', { ...acme, deliveryIdHeader: 'X-Acme-Delivery' }, [deliveryProblem]],
    ['a delivery id header with a space', { ...acme, deliveryIdHeader: 'x acme' }, [deliveryProblem]],
    ['a delivery id header that is a number', { ...acme, deliveryIdHeader: 42 }, [deliveryProblem]],
    ['an empty list of delivery id headers', { ...acme, deliveryIdHeader: [] }, [deliveryProblem]],
    [
      'a list of delivery id headers with one in capitals',
      { ...acme, deliveryIdHeader: ['x-a', 'X-B'] },
      [deliveryProblem],
    ],
    ['no signature header', { ...plain, signature: { format: { type: 'plain' } } }, [signatureProblem]],
    [
      'a plain prefix that is not a string',
      { ...plain, ...signature({ type: 'plain', prefix: 1 }) },
      ['signature.format.prefix must be a string'],
    ],
    [
      'a pairs format without the key',
      { ...acme, ...signature({ type: 'pairs', separator: ';' }) },
      ['a pairs signature needs a separator and the key of the signatures'],
    ],
    [
      'a pairs format without the separator',
      { ...acme, ...signature({ type: 'pairs', key: 's' }) },
      ['a pairs signature needs a separator and the key of the signatures'],
    ],
    [
      'a list format without the separator',
      { ...plain, ...signature({ type: 'list', prefix: 'v1,' }) },
      ['a list signature needs a separator and the prefix of the items to check'],
    ],
    [
      'an unknown format',
      { ...plain, ...signature({ type: 'json', key: 's', separator: ';' }) },
      ['signature.format.type must be plain, list or pairs'],
    ],
    [
      'a signed part that is not one of the kinds',
      { ...acme, signed: [...acme.signed, { query: 'x' }] },
      [signedProblem],
    ],
    ['a signed value that is unknown', { ...acme, signed: [...acme.signed, { value: 'method' }] }, [signedProblem]],
    ['a signed header in capitals', { ...acme, signed: [...acme.signed, { header: 'X-Topic' }] }, [signedProblem]],
    [
      'no signed list',
      { ...plain, timestamp: undefined, signed: undefined },
      [
        signedProblem,
        'signed must include the body (or form-params, or a bodyDigestParam): otherwise the body is not protected',
      ],
    ],
    ['a timestamp that is a string', { ...plain, timestamp: 'x-acme-timestamp' }, [timestampSourceProblem]],
    [
      'a timestamp with two sources',
      { ...acme, timestamp: { pair: 'ts', header: 'x-acme-timestamp' } },
      [timestampSourceProblem],
    ],
    ['a timestamp without a source', { ...acme, timestamp: { unit: 's' } }, [timestampSourceProblem]],
    [
      'a timestamp header in capitals',
      { ...plain, timestamp: { header: 'X-Acme-Timestamp' } },
      ['timestamp.header must be a lower-case header name (or a list)'],
    ],
    [
      'an empty timestamp body path',
      { ...plain, timestamp: { bodyPath: '' } },
      ['timestamp.bodyPath must be a non-empty path'],
    ],
    [
      'a timestamp pair without a signature',
      { ...acme, signature: undefined },
      [signatureProblem, 'timestamp.pair needs a pairs signature format'],
    ],
    [
      'an empty timestamp pair',
      { ...acme, timestamp: { pair: '' } },
      ['timestamp.pair needs a pairs signature format'],
    ],
    [
      'an unknown timestamp unit',
      { ...acme, timestamp: { pair: 'ts', unit: 'us' } },
      ['timestamp.unit must be s or ms'],
    ],
    ...[-1, Number.POSITIVE_INFINITY, Number.NaN, '300'].map(
      (toleranceSeconds) =>
        [
          `a tolerance of ${String(toleranceSeconds)} (${typeof toleranceSeconds})`,
          { ...acme, timestamp: { pair: 'ts', toleranceSeconds } },
          ['timestamp.toleranceSeconds must be a positive number'],
        ] as [string, Record<string, unknown>, string[]],
    ),
    ['an id with two sources', { ...acme, id: { bodyPath: 'id', digest: 'body-sha256' } }, [idProblem]],
    ['an empty id body path', { ...acme, id: { bodyPath: '' } }, [idProblem]],
    ['an id of an unknown kind', { ...acme, id: { query: 'id' } }, [idProblem]],
    ['an unknown id digest', { ...acme, id: { digest: 'body-md5' } }, [idProblem]],
    ['a body digest that is null', { ...acme, ...digestSigned, bodyDigestParam: null }, [digestProblem]],
    ['a body digest that is a name', { ...acme, ...digestSigned, bodyDigestParam: 'bodySHA256' }, [digestProblem]],
    [
      'a body digest without a name',
      { ...acme, ...digestSigned, bodyDigestParam: { ...digestParam, name: '' } },
      [digestProblem],
    ],
    [
      'a body digest of an unknown algorithm',
      { ...acme, ...digestSigned, bodyDigestParam: { ...digestParam, algorithm: 'md5' } },
      [digestProblem],
    ],
    [
      'a body digest of an unknown encoding',
      { ...acme, ...digestSigned, bodyDigestParam: { ...digestParam, encoding: 'b64' } },
      [digestProblem],
    ],
    [
      'a body digest without the url signed',
      { ...acme, bodyDigestParam: digestParam },
      ['bodyDigestParam needs the url in signed'],
    ],
    ['a challenge that is not an object', { ...acme, challenge: 'url_verification' }, [challengeProblem]],
    ['a challenge without when', { ...acme, challenge: { respond: challenge.respond } }, [challengeProblem]],
    [
      'a challenge with an empty when.bodyPath',
      { ...acme, challenge: { ...challenge, when: { bodyPath: '', equals: 'x' } } },
      [challengeProblem],
    ],
    [
      'a challenge with no when.equals',
      { ...acme, challenge: { ...challenge, when: { bodyPath: 'type' } } },
      [challengeProblem],
    ],
    [
      'a challenge without respond',
      { ...acme, challenge: { when: challenge.when, respond: null } },
      [challengeProblem],
    ],
    ['a challenge that responds nothing', { ...acme, challenge: { ...challenge, respond: {} } }, [challengeProblem]],
    [
      'a challenge field that is null',
      { ...acme, challenge: { ...challenge, respond: { challenge: null } } },
      [challengeProblem],
    ],
    [
      'a challenge field of no kind',
      { ...acme, challenge: { ...challenge, respond: { challenge: {} } } },
      [challengeProblem],
    ],
    [
      'a challenge with one field of no kind',
      { ...acme, challenge: { ...challenge, respond: { challenge: { bodyPath: 'c' }, token: { bodyPath: '' } } } },
      [challengeProblem],
    ],
  ])('%s', (_, definition, problems) => {
    expect(definitionError(definition).problems).toEqual(problems);
  });
});
