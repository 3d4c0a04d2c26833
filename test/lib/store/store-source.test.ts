import { afterEach, describe, expect, it, vi } from 'vitest';
import { Idempotency } from '../../../lib/index.js';

// One source of truth for the key namespace: WebhookPipeline sets IDEMPOTENCY_SOURCE on the
// consumer (its `source` prop, default the scheme), the store reads it, and `txonce inspect
// <source> <id>` looks there. A store that names another namespace would write records
// the pipeline's operators never find, so it is refused at construction.

const client = { send: () => Promise.reject(new Error('not called')) } as never;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("the store's key namespace", () => {
  it('left out, it is IDEMPOTENCY_SOURCE, as WebhookPipeline sets it', () => {
    vi.stubEnv('IDEMPOTENCY_SOURCE', 'stripe');
    const store = new Idempotency({ client, tableName: 'dedup' });
    expect(store.source).toBe('stripe');
    expect(store.recordKey('evt_1')).toBe('stripe#evt_1');
  });

  it('reads IDEMPOTENCY_SOURCE without the blanks around it, and a blank one as unset', () => {
    vi.stubEnv('IDEMPOTENCY_SOURCE', ' stripe\n');
    expect(new Idempotency({ client, tableName: 'dedup' }).recordKey('evt_1')).toBe('stripe#evt_1');
    vi.stubEnv('IDEMPOTENCY_SOURCE', '  ');
    expect(new Idempotency({ client, tableName: 'dedup' }).source).toBe('default');
  });

  it('left out, without IDEMPOTENCY_SOURCE, it is "default"', () => {
    vi.stubEnv('IDEMPOTENCY_SOURCE', undefined);
    expect(new Idempotency({ client, tableName: 'dedup' }).source).toBe('default');
  });

  it('given, and the same as IDEMPOTENCY_SOURCE (or without it), it is used', () => {
    vi.stubEnv('IDEMPOTENCY_SOURCE', 'billing');
    expect(new Idempotency({ client, tableName: 'dedup', source: 'billing' }).source).toBe('billing');
    vi.stubEnv('IDEMPOTENCY_SOURCE', undefined);
    expect(new Idempotency({ client, tableName: 'dedup', source: 'billing' }).source).toBe('billing');
  });

  it('given, and not the one IDEMPOTENCY_SOURCE names: refused, saying how to make them one', () => {
    vi.stubEnv('IDEMPOTENCY_SOURCE', 'stripe');
    expect(() => new Idempotency({ client, tableName: 'dedup', source: 'billing' })).toThrow(
      new TypeError(
        'Idempotency: `source` is "billing" but IDEMPOTENCY_SOURCE (set by WebhookPipeline from its `source` prop, ' +
          'default the scheme) is "stripe": records would be keyed "billing#<key>" where the pipeline and ' +
          '`txonce inspect stripe <key>` look for "stripe#<key>". Leave `source` out to use the pipeline\'s, ' +
          "or give the pipeline `source: 'billing'`.",
      ),
    );
  });

  it('a "#" in IDEMPOTENCY_SOURCE is refused like one in `source`', () => {
    vi.stubEnv('IDEMPOTENCY_SOURCE', 'orders#eu');
    expect(() => new Idempotency({ client, tableName: 'dedup' })).toThrow(
      new TypeError('Idempotency: `source` may not contain "#" (got "orders#eu"): it separates source from key.'),
    );
  });
});
