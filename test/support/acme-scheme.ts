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
