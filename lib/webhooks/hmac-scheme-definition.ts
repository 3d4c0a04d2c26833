import { IdempotencyError } from '../shared/errors.js';

/**
 * One piece of what a provider signs, concatenated in order: fixed text, the raw body, the
 * timestamp (as sent), the event id (as sent), the request URL, the form parameters sorted by
 * name as `<name><value>…` (Twilio), or a request header.
 *
 * @example
 * ```ts
 * import type { SignedPart } from 'txonce';
 *
 * // Slack: "v0:<timestamp>:<body>"
 * export const slack: SignedPart[] = [{ text: 'v0:' }, { value: 'timestamp' }, { text: ':' }, { value: 'body' }];
 * ```
 */
export type SignedPart =
  | { text: string }
  | { value: 'body' | 'timestamp' | 'id' | 'url' | 'form-params' }
  | { header: string };

/**
 * How the signature header carries one or more signatures:
 * - `plain`: the whole value, after an optional prefix (`sha256=<hex>`, or just `<base64>`);
 * - `list`: items split on `separator`, each `<prefix><signature>`; items with another prefix
 *   are ignored (Standard Webhooks: `v1,<a> v1,<b>`);
 * - `pairs`: `k=v` items split on `separator` (Stripe `t=…,v1=…,v1=…`, Paddle `ts=…;h1=…`); every
 *   item named `key` is a signature.
 *
 * @example
 * ```ts
 * import type { SignatureFormat } from 'txonce';
 *
 * export const stripe: SignatureFormat = { type: 'pairs', separator: ',', key: 'v1' };
 * ```
 */
export type SignatureFormat =
  | { type: 'plain'; prefix?: string }
  | { type: 'list'; separator: string; prefix: string }
  | { type: 'pairs'; separator: string; key: string };

/**
 * Where the event id comes from: a header that is part of the signed content, a path in the
 * (signed) body (a form parameter's name for a form body), or a digest of the signed body,
 * `body-sha256:<hex>`, for a provider that signs no id.
 *
 * @example
 * ```ts
 * import type { EventIdSource } from 'txonce';
 *
 * export const paddle: EventIdSource = { bodyPath: 'event_id' };
 * ```
 */
export type EventIdSource = { header: string | readonly string[] } | { bodyPath: string } | { digest: 'body-sha256' };

/**
 * Where the signed timestamp is: a header, a pair of the signature header (Stripe's `t`), or a
 * path in the body (Linear's `webhookTimestamp`); in seconds or milliseconds.
 *
 * @example
 * ```ts
 * import type { TimestampSource } from 'txonce';
 *
 * export const linear: TimestampSource = { bodyPath: 'webhookTimestamp', unit: 'ms', toleranceSeconds: 60 };
 * ```
 */
export type TimestampSource = ({ header: string | readonly string[] } | { pair: string } | { bodyPath: string }) & {
  unit?: 's' | 'ms';
  /** The provider's own window; `toleranceSeconds` of the caller overrides it. Default 300. */
  toleranceSeconds?: number;
};

/**
 * A handshake the provider sends to prove the endpoint is yours (Slack's `url_verification`,
 * Zoom's `endpoint.url_validation`): when the verified body has `when.bodyPath` equal to
 * `when.equals`, the answer is a 200 with a JSON object whose fields are body values or the
 * HMAC (the scheme's algorithm, hex) of a body value with the secret that verified the request.
 * Nothing is queued.
 *
 * @example
 * ```ts
 * import type { ChallengeDefinition } from 'txonce';
 *
 * export const slack: ChallengeDefinition = {
 *   when: { bodyPath: 'type', equals: 'url_verification' },
 *   respond: { challenge: { bodyPath: 'challenge' } },
 * };
 * ```
 */
export interface ChallengeDefinition {
  when: { bodyPath: string; equals: string };
  respond: Record<string, { bodyPath: string } | { hmacOfBodyPath: string }>;
}

/**
 * A provider's HMAC signature scheme as plain data (JSON-serialisable, so it can travel in an
 * environment variable). `parseHmacScheme` checks one and says what is wrong.
 *
 * @example
 * ```ts
 * import { type HmacSchemeDefinition, verifyWebhookSignature } from 'txonce';
 *
 * // a provider that signs "<timestamp>.<body>" with HMAC-SHA256, hex, in "X-Acme-Signature: v1=<hex>"
 * const acme: HmacSchemeDefinition = {
 *   name: 'acme',
 *   algorithm: 'sha256',
 *   encoding: 'hex',
 *   signature: { header: 'x-acme-signature', format: { type: 'plain', prefix: 'v1=' } },
 *   timestamp: { header: 'x-acme-timestamp' },
 *   signed: [{ value: 'timestamp' }, { text: '.' }, { value: 'body' }],
 *   id: { bodyPath: 'id' },
 * };
 * export const check = (headers: Record<string, string>, rawBody: Buffer) =>
 *   verifyWebhookSignature({ scheme: acme, secrets: process.env.ACME_SECRET ?? '', headers, rawBody });
 * ```
 */
export interface HmacSchemeDefinition {
  /** Names the scheme in `webhook.scheme` and logs. */
  name: string;
  /** The provider's name for people, in messages ("Standard Webhooks"). Default: `name`. */
  title?: string;
  algorithm: 'sha1' | 'sha256' | 'sha512';
  /** How the signature is written. */
  encoding: 'hex' | 'base64';
  /** How a secret becomes the key: as is (utf8, default), base64, or `whsec_` + base64. */
  secretEncoding?: 'utf8' | 'base64' | 'whsec-base64';
  signature: { header: string | readonly string[]; format: SignatureFormat };
  timestamp?: TimestampSource;
  signed: readonly SignedPart[];
  id: EventIdSource;
  /** An unsigned header (or aliases) the provider always sends, kept as `webhook.deliveryId` for logs only; required when named. */
  deliveryIdHeader?: string | readonly string[];
  /** The body the provider sends; `form` and `json-or-form` accept form-encoded bodies. Default `json`. */
  body?: 'json' | 'form' | 'json-or-form';
  /**
   * A query parameter of the signed URL that holds a digest of the body (Twilio's `bodySHA256`
   * for JSON bodies): when the URL carries it, the body must match it and form parameters are not
   * signed.
   */
  bodyDigestParam?: { name: string; algorithm: 'sha1' | 'sha256' | 'sha512'; encoding: 'hex' | 'base64' };
  challenge?: ChallengeDefinition;
}

/**
 * A scheme definition that cannot work: thrown when it is checked (at startup), naming every
 * problem. Never retryable: fix the definition.
 *
 * @example
 * ```ts
 * import { HmacSchemeDefinitionError, parseHmacScheme } from 'txonce';
 *
 * try {
 *   parseHmacScheme({ name: 'acme', algorithm: 'md5' });
 * } catch (error) {
 *   if (error instanceof HmacSchemeDefinitionError) console.error(error.problems); // ['algorithm must be ...', ...]
 * }
 * ```
 */
export class HmacSchemeDefinitionError extends IdempotencyError {
  readonly problems: string[];

  constructor(name: unknown, problems: string[]) {
    super(
      `The webhook scheme definition ${typeof name === 'string' && name ? `"${name}" ` : ''}cannot be used: ` +
        `${problems.join('; ')}. See docs/webhooks.md#adding-a-provider-as-data.`,
      { retryable: false },
    );
    this.name = 'HmacSchemeDefinitionError';
    this.problems = problems;
  }
}

const ALGORITHMS = ['sha1', 'sha256', 'sha512'];
const ENCODINGS = ['hex', 'base64'];
const VALUES = ['body', 'timestamp', 'id', 'url', 'form-params'];

/**
 * Checks a definition (from code, JSON or an environment variable) and returns it typed;
 * throws HmacSchemeDefinitionError listing every problem.
 *
 * @example
 * ```ts
 * import { parseHmacScheme } from 'txonce';
 *
 * export const scheme = parseHmacScheme(JSON.parse(process.env.WEBHOOK_SCHEME_DEFINITION ?? '{}'));
 * ```
 */
export function parseHmacScheme(value: unknown): HmacSchemeDefinition {
  const problems: string[] = [];
  const d = (isObject(value) ? value : {}) as Record<string, unknown>;
  if (!isObject(value)) problems.push(`a definition is an object (got ${describe(value)})`);
  const problem = (ok: boolean, text: string) => ok || problems.push(text);
  problem(
    typeof d.name === 'string' && /^[a-z0-9][a-z0-9._-]*$/.test(d.name),
    'name must be lower-case letters, digits, ".", "_" or "-"',
  );
  problem(oneOf(d.algorithm, ALGORITHMS), `algorithm must be one of ${ALGORITHMS.join(', ')}`);
  problem(oneOf(d.encoding, ENCODINGS), `encoding must be one of ${ENCODINGS.join(', ')}`);
  problem(
    d.secretEncoding === undefined || oneOf(d.secretEncoding, ['utf8', 'base64', 'whsec-base64']),
    'secretEncoding must be utf8, base64 or whsec-base64',
  );
  problem(
    d.body === undefined || oneOf(d.body, ['json', 'form', 'json-or-form']),
    'body must be json, form or json-or-form',
  );
  problem(d.title === undefined || nonEmpty(d.title), 'title must be a non-empty string');
  problem(
    d.deliveryIdHeader === undefined || isHeaderNames(d.deliveryIdHeader),
    'deliveryIdHeader must be a lower-case header name (or a list)',
  );
  checkSignature(d.signature, problems);
  checkSigned(d.signed, problems);
  checkTimestamp(d.timestamp, d.signature, problems);
  checkId(d.id, problems);
  checkBodyDigest(d.bodyDigestParam, problems);
  checkChallenge(d.challenge, problems);
  const signed = Array.isArray(d.signed) ? (d.signed as Record<string, unknown>[]) : [];
  const signs = (part: string) => signed.some((p) => isObject(p) && p.value === part);
  problem(
    !signs('timestamp') || d.timestamp !== undefined,
    'signed includes the timestamp but no timestamp source is given',
  );
  problem(
    d.timestamp === undefined || signs('timestamp') || hasBodyPath(d.timestamp),
    'a timestamp that is not signed protects nothing: add { value: "timestamp" } to signed',
  );
  problem(
    !isObject(d.id) || !('header' in d.id) || signs('id'),
    'an id from a header must be signed (add { value: "id" } to signed), else anyone can change it: use { digest: "body-sha256" }',
  );
  problem(
    signs('body') || signs('form-params') || d.bodyDigestParam !== undefined,
    'signed must include the body (or form-params, or a bodyDigestParam): otherwise the body is not protected',
  );
  problem(
    !signs('form-params') || d.body === 'form' || d.body === 'json-or-form',
    'form-params are signed but body is not form or json-or-form',
  );
  problem(d.bodyDigestParam === undefined || signs('url'), 'bodyDigestParam needs the url in signed');
  if (problems.length > 0) throw new HmacSchemeDefinitionError(d.name, problems);
  return value as HmacSchemeDefinition;
}

function checkSignature(value: unknown, problems: string[]): void {
  if (!isObject(value) || !isHeaderNames(value.header) || !isObject(value.format)) {
    problems.push(
      'signature must be { header: "<lower-case name>" (or a list), format: { type: "plain" | "list" | "pairs", ... } }',
    );
    return;
  }
  const format = value.format;
  if (format.type === 'plain') {
    if (format.prefix !== undefined && typeof format.prefix !== 'string')
      problems.push('signature.format.prefix must be a string');
  } else if (format.type === 'list') {
    if (!nonEmpty(format.separator) || !nonEmpty(format.prefix))
      problems.push('a list signature needs a separator and the prefix of the items to check');
  } else if (format.type === 'pairs') {
    if (!nonEmpty(format.separator) || !nonEmpty(format.key))
      problems.push('a pairs signature needs a separator and the key of the signatures');
  } else problems.push('signature.format.type must be plain, list or pairs');
}

function checkSigned(value: unknown, problems: string[]): void {
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (part) =>
        isObject(part) &&
        Object.keys(part).length === 1 &&
        (typeof part.text === 'string' || oneOf(part.value, VALUES) || isHeaderName(part.header)),
    );
  if (!ok) problems.push(`signed must be a non-empty list of { text } | { value: ${VALUES.join(' | ')} } | { header }`);
}

function checkTimestamp(value: unknown, signature: unknown, problems: string[]): void {
  if (value === undefined) return;
  const sources = isObject(value) ? ['header', 'pair', 'bodyPath'].filter((key) => key in value) : [];
  if (!isObject(value) || sources.length !== 1) {
    problems.push('timestamp must name exactly one of header, pair or bodyPath');
    return;
  }
  if ('header' in value && !isHeaderNames(value.header))
    problems.push('timestamp.header must be a lower-case header name (or a list)');
  if ('bodyPath' in value && !nonEmpty(value.bodyPath)) problems.push('timestamp.bodyPath must be a non-empty path');
  if ('pair' in value) {
    const format = isObject(signature) && isObject(signature.format) ? signature.format : {};
    if (!nonEmpty(value.pair) || format.type !== 'pairs')
      problems.push('timestamp.pair needs a pairs signature format');
  }
  if (value.unit !== undefined && !oneOf(value.unit, ['s', 'ms'])) problems.push('timestamp.unit must be s or ms');
  const tolerance = value.toleranceSeconds;
  if (tolerance !== undefined && !(typeof tolerance === 'number' && Number.isFinite(tolerance) && tolerance > 0)) {
    problems.push('timestamp.toleranceSeconds must be a positive number');
  }
}

function checkId(value: unknown, problems: string[]): void {
  const ok =
    isObject(value) &&
    Object.keys(value).length === 1 &&
    (isHeaderNames(value.header) || nonEmpty(value.bodyPath) || value.digest === 'body-sha256');
  if (!ok) problems.push('id must be { header } | { bodyPath } | { digest: "body-sha256" }');
}

function checkBodyDigest(value: unknown, problems: string[]): void {
  if (value === undefined) return;
  if (
    !isObject(value) ||
    !nonEmpty(value.name) ||
    !oneOf(value.algorithm, ALGORITHMS) ||
    !oneOf(value.encoding, ENCODINGS)
  ) {
    problems.push('bodyDigestParam must be { name, algorithm, encoding }');
  }
}

function checkChallenge(value: unknown, problems: string[]): void {
  if (value === undefined) return;
  const when = isObject(value) ? value.when : undefined;
  const respond = isObject(value) ? value.respond : undefined;
  const ok =
    isObject(when) &&
    nonEmpty(when.bodyPath) &&
    typeof when.equals === 'string' &&
    isObject(respond) &&
    Object.keys(respond).length > 0 &&
    Object.values(respond).every(
      (field) => isObject(field) && (nonEmpty(field.bodyPath) || nonEmpty(field.hmacOfBodyPath)),
    );
  if (!ok)
    problems.push(
      'challenge must be { when: { bodyPath, equals }, respond: { <field>: { bodyPath } | { hmacOfBodyPath } } }',
    );
}

function hasBodyPath(value: unknown): boolean {
  return isObject(value) && 'bodyPath' in value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function oneOf(value: unknown, allowed: string[]): boolean {
  return typeof value === 'string' && allowed.includes(value);
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Lower case, as lowerCaseHeaders gives them: a capital letter would never match. */
function isHeaderName(value: unknown): boolean {
  return typeof value === 'string' && /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(value);
}

function isHeaderNames(value: unknown): boolean {
  return isHeaderName(value) || (Array.isArray(value) && value.length > 0 && value.every(isHeaderName));
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
