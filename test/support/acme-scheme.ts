import { createHmac } from 'node:crypto';
import type { HmacSchemeDefinition } from '../../lib/index.js';

/** A provider described as data (no preset): HMAC-SHA256 hex of the body in `x-acme-signature`, the id at `id`. */
export const acmeScheme = {
  name: 'acme',
  algorithm: 'sha256',
  encoding: 'hex',
  signature: { header: 'x-acme-signature', format: { type: 'plain' } },
  id: { bodyPath: 'id' },
  signed: [{ value: 'body' }],
} as const satisfies HmacSchemeDefinition;

/** The x-acme-signature header acmeScheme verifies: HMAC-SHA256 hex of the body. */
export function signAcme(secret: string, body: string): Record<string, string> {
  return { 'x-acme-signature': createHmac('sha256', secret).update(body).digest('hex') };
}

/** Like acmeScheme but its id a digest of the body: each unit test changes what it needs. */
export const acme = (changes: Partial<HmacSchemeDefinition> = {}): HmacSchemeDefinition => ({
  name: 'acme',
  title: 'Acme',
  algorithm: 'sha256',
  encoding: 'hex',
  signature: { header: 'x-acme-signature', format: { type: 'plain' } },
  signed: [{ value: 'body' }],
  id: { digest: 'body-sha256' },
  ...changes,
});
