import { createHash, createHmac } from 'node:crypto';
import type { HmacSchemeDefinition, SignedPart } from '../lib/index.js';
import { formParamsText, keyOf } from '../lib/webhooks/hmac-verify.js';

/** A test webhook as a provider of `scheme` would send it. */
export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
  url: string;
}

export interface TestEvent {
  /** the event id, put where the scheme reads it (a header, a body path); digest schemes ignore it */
  id: string;
  /** the event; a form scheme sends its string values form-encoded */
  event: Record<string, unknown>;
  /** the URL it is posted to (signed by Square and Twilio) */
  url: string;
  at?: Date;
}

/**
 * Signs a test webhook for any scheme definition, as its provider would, so `txonce send` reaches
 * every source of a pipeline (presets and the user's own definitions alike). A local testing
 * tool: the presets' verification is checked against the providers' own SDKs elsewhere.
 */
export function signForScheme(scheme: HmacSchemeDefinition, secret: string, test: TestEvent): SignedRequest {
  const at = test.at ?? new Date();
  const timestamp = String(scheme.timestamp?.unit === 'ms' ? at.getTime() : Math.floor(at.getTime() / 1000));
  const event = structuredClone(test.event);
  if ('bodyPath' in scheme.id) setPath(event, scheme.id.bodyPath, test.id);
  if (scheme.timestamp && 'bodyPath' in scheme.timestamp) setPath(event, scheme.timestamp.bodyPath, Number(timestamp));
  const form = scheme.body === 'form';
  const body = form ? formBody(event) : JSON.stringify(event);
  const headers: Record<string, string> = {
    'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
  };
  if ('header' in scheme.id) headers[first(scheme.id.header)] = test.id;
  if (scheme.deliveryIdHeader) headers[first(scheme.deliveryIdHeader)] = test.id;
  if (scheme.timestamp && 'header' in scheme.timestamp) headers[first(scheme.timestamp.header)] = timestamp;
  // a JSON body to a scheme that signs form parameters: the URL carries the body's digest (Twilio)
  let url = test.url;
  if (scheme.bodyDigestParam && !form) {
    const signedUrl = new URL(url);
    const { name, algorithm, encoding } = scheme.bodyDigestParam;
    signedUrl.searchParams.set(name, createHash(algorithm).update(body).digest(encoding));
    url = signedUrl.toString();
  }
  const content = scheme.signed.map((part) => partText(part, { body, timestamp, id: test.id, url, headers, form }));
  const signature = createHmac(scheme.algorithm, keyOf(scheme, secret))
    .update(Buffer.concat(content))
    .digest(scheme.encoding);
  headers[first(scheme.signature.header)] = signatureText(scheme, signature, timestamp);
  return { headers, body, url };
}

function partText(
  part: SignedPart,
  values: { body: string; timestamp: string; id: string; url: string; headers: Record<string, string>; form: boolean },
): Buffer {
  if ('text' in part) return Buffer.from(part.text);
  if ('header' in part) return Buffer.from(values.headers[part.header.toLowerCase()] ?? '', 'latin1');
  if (part.value === 'form-params')
    return Buffer.from(values.form ? formParamsText(new URLSearchParams(values.body)) : '');
  const value = { body: values.body, timestamp: values.timestamp, id: values.id, url: values.url }[part.value];
  return Buffer.from(value);
}

function signatureText(scheme: HmacSchemeDefinition, signature: string, timestamp: string): string {
  const format = scheme.signature.format;
  if (format.type === 'plain') return `${format.prefix ?? ''}${signature}`;
  if (format.type === 'list') return `${format.prefix}${signature}`;
  const pairs = scheme.timestamp && 'pair' in scheme.timestamp ? [`${scheme.timestamp.pair}=${timestamp}`] : [];
  return [...pairs, `${format.key}=${signature}`].join(format.separator);
}

function formBody(event: Record<string, unknown>): string {
  return new URLSearchParams(
    Object.entries(event).map(([name, value]): [string, string] => [
      name,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  ).toString();
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const names = path.split('.');
  let node = target;
  for (const name of names.slice(0, -1)) {
    if (typeof node[name] !== 'object' || node[name] === null) node[name] = {};
    node = node[name] as Record<string, unknown>;
  }
  node[names[names.length - 1]] = value;
}

const first = (names: string | readonly string[]) => (typeof names === 'string' ? names : names[0]).toLowerCase();
