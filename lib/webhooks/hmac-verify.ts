import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from '../shared/errors.js';
import type { Headers } from '../shared/headers.js';
import { bodyField, type ParsedBody, parseBody } from './body-fields.js';
import type { HmacSchemeDefinition, SignatureFormat, SignedPart } from './hmac-scheme-definition.js';

/**
 * What a verified webhook tells later middlewares.
 *
 * @example
 * ```ts
 * import type { VerifiedWebhook } from 'txonce';
 *
 * export const describe = (webhook: VerifiedWebhook) =>
 *   `${webhook.scheme} ${webhook.id} signed at ${webhook.timestamp?.toISOString() ?? 'no time (GitHub)'}`;
 * ```
 */
export interface VerifiedWebhook {
  /** The scheme's name: a preset's (`stripe`, `slack`...) or a definition's `name`. */
  scheme: string;
  /**
   * What the signature vouches for as the event's id: a signed header (Standard Webhooks'
   * webhook-id), an id in the signed body (Stripe, Slack, Square, Paddle), or, for a provider
   * that signs no id, "body-sha256:<hex>" of the signed body (GitHub, Shopify...) or
   * "params-sha256:<hex>" of the signed form parameters (Twilio).
   */
  id: string | undefined;
  /** An unsigned delivery id (X-GitHub-Delivery...), for logs: anyone who replays a body can change it. */
  deliveryId?: string;
  /** the signed timestamp, where the scheme has one */
  timestamp: Date | undefined;
  /** A verified handshake (Slack's url_verification, Zoom's url_validation): answer it with 200 and this JSON, queue nothing. */
  challengeResponse?: Record<string, string>;
}

export interface SchemeCheck {
  headers: Headers;
  rawBody: Buffer;
  secrets: string[];
  /** The caller's tolerance; undefined: the scheme's own, else 300. */
  toleranceSeconds: number | undefined;
  nowSeconds: number;
  /** The URL the sender posted to, query included: for schemes that sign it (Square, Twilio). */
  url: string | undefined;
}

/** Verifies one request against a checked definition; throws WebhookVerificationError saying why. */
export function verifyHmac(scheme: HmacSchemeDefinition, check: SchemeCheck): VerifiedWebhook {
  const [signatureHeader, signatureText] = header(check.headers, scheme.signature.header);
  const { offered, pairs } = offeredSignatures(signatureHeader, signatureText, scheme);
  const timestampText = timestampOf(scheme, check, pairs);
  const id = 'header' in scheme.id ? signedIdHeader(check.headers, scheme.id.header) : undefined;
  const deliveryId = scheme.deliveryIdHeader ? header(check.headers, scheme.deliveryIdHeader)[1] : undefined;
  const url = scheme.signed.some((part) => 'value' in part && part.value === 'url') ? signedUrl(check.url) : undefined;
  // parsed only when a field is read from it: GitHub's 256 KiB body needs no JSON.parse
  let parsed: ParsedBody | undefined;
  const body = () => {
    parsed ??= parseBody(check.rawBody, scheme.body ?? 'json');
    return parsed;
  };
  const bodyDigested =
    url !== undefined && scheme.bodyDigestParam ? checkBodyDigest(scheme, url, check.rawBody) : false;
  // fed part by part: concatenating would copy the whole body once more
  const signed = scheme.signed.map((part) => signedBytes(part, { check, timestampText, id, url, body, bodyDigested }));
  const secret = check.secrets.find((candidate) => {
    const hmac = createHmac(scheme.algorithm, keyOf(scheme, candidate));
    for (const part of signed) hmac.update(part);
    const expected = hmac.digest(scheme.encoding);
    return offered.some((signature) => sameText(signature, expected));
  });
  if (secret === undefined)
    throw new WebhookVerificationError('bad-signature', mismatch(signatureHeader, scheme.signature.format));
  return {
    scheme: scheme.name,
    id:
      'header' in scheme.id
        ? id
        : 'bodyPath' in scheme.id
          ? bodyField(body(), scheme.id.bodyPath)
          : digestId(scheme, body, check.rawBody, bodyDigested),
    ...(deliveryId !== undefined && { deliveryId }),
    timestamp:
      timestampText === undefined
        ? undefined
        : new Date(Number(timestampText) * (scheme.timestamp?.unit === 'ms' ? 1 : 1000)),
    ...(scheme.challenge && challengeResponse(scheme, body(), secret)),
  };
}

/** The key bytes: the secret as is, base64, or "whsec_" + base64 (the prefix optional, as in standardwebhooks). */
export function keyOf(scheme: Pick<HmacSchemeDefinition, 'secretEncoding'>, secret: string): Buffer {
  if (scheme.secretEncoding === 'whsec-base64') return Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return Buffer.from(secret, scheme.secretEncoding === 'base64' ? 'base64' : 'utf8');
}

/** The first of the names that is present (aliases: webhook-id, then svix-id), trimmed. */
function header(headers: Headers, names: string | readonly string[]): [string, string] {
  const list: readonly string[] = typeof names === 'string' ? [names] : names;
  for (const name of list) {
    const value = headers[name]?.trim();
    if (value) return [name, value];
  }
  const others = list.length > 1 ? ` (or ${list.slice(1).join(' or ')})` : '';
  throw new WebhookVerificationError('missing-header', `header ${list[0]}${others} is missing`);
}

/** Every signature the header offers; a header that offers none, or is ambiguous, is malformed. */
function offeredSignatures(
  name: string,
  text: string,
  scheme: HmacSchemeDefinition,
): { offered: string[]; pairs: [string, string][] } {
  const format = scheme.signature.format;
  if (format.type === 'plain') {
    const prefix = format.prefix ?? '';
    if (!text.startsWith(prefix) || text.length === prefix.length) {
      throw new WebhookVerificationError('malformed-header', `${name} must start with ${prefix || 'a signature'}`);
    }
    return { offered: [text.slice(prefix.length)], pairs: [] };
  }
  if (format.type === 'list') {
    const offered = text
      .split(format.separator)
      .filter((item) => item.startsWith(format.prefix))
      .map((item) => item.slice(format.prefix.length));
    if (offered.length === 0) {
      throw new WebhookVerificationError('malformed-header', `${name} has no ${label(format.prefix)} signature`);
    }
    return { offered, pairs: [] };
  }
  const pairs = text.split(format.separator).map((item): [string, string] => {
    const at = item.indexOf('=');
    return at < 0 ? [item.trim(), ''] : [item.slice(0, at).trim(), item.slice(at + 1).trim()];
  });
  const offered = pairs.filter(([key, value]) => key === format.key && value).map(([, value]) => value);
  const timestampKey = scheme.timestamp && 'pair' in scheme.timestamp ? scheme.timestamp.pair : undefined;
  const timestamps = pairs.filter(([key, value]) => key === timestampKey && value);
  // two timestamps: which one was signed is the sender's guess, not ours (fail closed)
  if (offered.length === 0 || (timestampKey && timestamps.length === 0)) {
    const needs = timestampKey
      ? `needs ${timestampKey}= and at least one ${format.key}=`
      : `has no ${format.key}= signature`;
    throw new WebhookVerificationError('malformed-header', `${name} ${needs}`);
  }
  if (timestamps.length > 1)
    throw new WebhookVerificationError('malformed-header', `${name} has more than one ${timestampKey}=`);
  return { offered, pairs };
}

function label(prefix: string): string {
  return prefix.replace(/[,=:]$/, '');
}

function mismatch(name: string, format: SignatureFormat): string {
  if (format.type === 'plain') return `${name} does not match`;
  if (format.type === 'list') return `no ${name} matches`;
  return `no ${format.key} signature in ${name} matches`;
}

/** The timestamp as sent (signed text), checked to be a whole number within the tolerance. */
function timestampOf(scheme: HmacSchemeDefinition, check: SchemeCheck, pairs: [string, string][]): string | undefined {
  const source = scheme.timestamp;
  if (!source) return undefined;
  let text: string | undefined;
  if ('header' in source) text = header(check.headers, source.header)[1];
  else if ('pair' in source) text = pairs.find(([key]) => key === source.pair)?.[1];
  else text = bodyTimestamp(check.rawBody, source.bodyPath);
  const unitScale = source.unit === 'ms' ? 1000 : 1;
  if (text === undefined || !(unitScale === 1 ? /^\d{1,12}$/ : /^\d{1,15}$/).test(text)) {
    throw new WebhookVerificationError(
      'malformed-header',
      `the signed timestamp is not a number of ${unitScale === 1 ? 'seconds' : 'milliseconds'}`,
    );
  }
  const tolerance = check.toleranceSeconds ?? source.toleranceSeconds ?? 300;
  // written so that a NaN anywhere rejects (fail closed)
  if (!(Math.abs(check.nowSeconds - Number(text) / unitScale) <= tolerance)) {
    throw new WebhookVerificationError(
      'timestamp-out-of-tolerance',
      `the signed timestamp is more than ${tolerance} s from now`,
    );
  }
  return text;
}

/** A timestamp inside the signed body (Linear): a whole number or its digits. */
function bodyTimestamp(rawBody: Buffer, path: string): string | undefined {
  return bodyField(parseBody(rawBody, 'json'), path, { numbers: true });
}

/** Node reads header bytes as Latin-1: a non-ASCII id cannot be the string the sender signed. */
function signedIdHeader(headers: Headers, names: string | readonly string[]): string {
  const [name, value] = header(headers, names);
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new WebhookVerificationError('malformed-header', `${name} must be printable ASCII without spaces`);
  }
  return value;
}

function signedUrl(url: string | undefined): string {
  if (!url) {
    // a deployment error, not the sender's: the caller must say which URL the provider posts to
    throw new TypeError(
      'verifyWebhook: this scheme signs the request URL: pass `url` (the URL the provider posts to).',
    );
  }
  return url;
}

/** Twilio's JSON form: the signed URL carries a digest of the body, which must match it. */
function checkBodyDigest(scheme: HmacSchemeDefinition, url: string, rawBody: Buffer): boolean {
  const param = scheme.bodyDigestParam;
  const offered = param ? queryParam(url, param.name) : undefined;
  if (!param || offered === undefined) return false;
  const actual = createHash(param.algorithm).update(rawBody).digest(param.encoding);
  if (!sameText(offered, actual)) {
    throw new WebhookVerificationError('bad-signature', `the body does not match ${param.name} in the signed URL`);
  }
  return true;
}

function queryParam(url: string, name: string): string | undefined {
  try {
    return new URL(url).searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

interface SignedValues {
  check: SchemeCheck;
  timestampText: string | undefined;
  id: string | undefined;
  url: string | undefined;
  body: () => ParsedBody;
  bodyDigested: boolean;
}

/** The bytes of one part; the body as raw bytes, never a text decoding (invalid bytes would collapse to U+FFFD). */
function signedBytes(part: SignedPart, values: SignedValues): Buffer {
  if ('text' in part) return Buffer.from(part.text);
  // Node decodes header bytes as Latin-1: encoding back gives the bytes the sender signed
  if ('header' in part) return Buffer.from(header(values.check.headers, part.header)[1], 'latin1');
  switch (part.value) {
    case 'body':
      return values.check.rawBody;
    case 'timestamp':
      return Buffer.from(values.timestampText ?? '');
    case 'id':
      return Buffer.from(values.id ?? '');
    case 'url':
      return Buffer.from(values.url ?? '');
    case 'form-params':
      return values.bodyDigested ? Buffer.alloc(0) : Buffer.from(sortedParams(values.body()));
  }
}

/** Twilio's form: each name followed by its value, sorted by name; a repeated name's distinct values sorted, as twilio's validateRequest does. */
function sortedParams(body: ParsedBody): string {
  if (body.kind !== 'form') {
    throw new WebhookVerificationError(
      'bad-signature',
      'the body is not form-encoded parameters, which this scheme signs',
    );
  }
  return formParamsText(body.params);
}

/** The text a form-parameter scheme signs (Twilio): each name followed by its value, sorted; also what a test signer signs. */
export function formParamsText(params: URLSearchParams): string {
  const names = [...new Set(params.keys())].sort();
  return names
    .map((name) =>
      [...new Set(params.getAll(name))]
        .sort()
        .map((value) => name + value)
        .join(''),
    )
    .join('');
}

/**
 * The id of a provider that signs no id: a digest of what it signed, so a replayed capture is
 * the same event. Where it signs the decoded form parameters (Twilio), the digest is theirs:
 * the bytes can be re-encoded (`+` for `%20`, `%2b` for `%2B`) and still verify.
 */
function digestId(
  scheme: HmacSchemeDefinition,
  body: () => ParsedBody,
  rawBody: Buffer,
  bodyDigested: boolean,
): string {
  const signsParams = scheme.signed.some((part) => 'value' in part && part.value === 'form-params');
  if (signsParams && !bodyDigested) {
    return `params-sha256:${createHash('sha256').update(sortedParams(body())).digest('hex')}`;
  }
  return `body-sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
}

/** Answered only after the signature verified: the handshake proves the endpoint holds the secret. */
function challengeResponse(
  scheme: HmacSchemeDefinition,
  body: ParsedBody,
  secret: string,
): { challengeResponse: Record<string, string> } | undefined {
  const challenge = scheme.challenge;
  if (!challenge || bodyField(body, challenge.when.bodyPath) !== challenge.when.equals) return undefined;
  const response: Record<string, string> = {};
  for (const [field, source] of Object.entries(challenge.respond)) {
    const value = bodyField(body, 'bodyPath' in source ? source.bodyPath : source.hmacOfBodyPath);
    if (value === undefined) {
      throw new WebhookVerificationError('malformed-header', `the ${challenge.when.equals} request has no ${field}`);
    }
    response[field] =
      'bodyPath' in source ? value : createHmac(scheme.algorithm, keyOf(scheme, secret)).update(value).digest('hex');
  }
  return { challengeResponse: response };
}

/** Constant time for equal lengths; a length difference says nothing about the secret. */
export function sameText(offered: string, expected: string): boolean {
  const a = Buffer.from(offered);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
