import { afterEach, describe, expect, it, vi } from 'vitest';
import { Idempotency } from '../../../lib/index.js';

// A WebhookPipeline with several sources has one consumer for all of them: it sets
// IDEMPOTENCY_SOURCES (the source names, comma-separated) instead of IDEMPOTENCY_SOURCE, and the
// consumer keeps a store per source. A store must name one of them: a typo would write records
// where neither the pipeline nor `txonce inspect <source> <id>` looks.

const client = { send: () => Promise.reject(new Error('not called')) } as never;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("the store's key namespace in a pipeline with several sources", () => {
  it('given, and one of IDEMPOTENCY_SOURCES, it is used', () => {
    vi.stubEnv('IDEMPOTENCY_SOURCE', undefined);
    vi.stubEnv('IDEMPOTENCY_SOURCES', 'stripe,github,shopify');
    const store = new Idempotency({ client, tableName: 'dedup', source: 'github' });
    expect(store.recordKey('abc')).toBe('github#abc');
  });

  it('given, and none of them: refused, naming the sources', () => {
    vi.stubEnv('IDEMPOTENCY_SOURCES', 'stripe,github,shopify');
    expect(() => new Idempotency({ client, tableName: 'dedup', source: 'strpe' })).toThrow(
      new TypeError(
        'Idempotency: `source` is "strpe" but the pipeline\'s sources (IDEMPOTENCY_SOURCES, set by WebhookPipeline ' +
          'from its `sources`) are stripe, github, shopify: records would be keyed "strpe#<key>" where the pipeline ' +
          'and `txonce inspect` never look. Give one of them, or add the source to the pipeline.',
      ),
    );
  });

  it('left out: refused, since one consumer serves several namespaces', () => {
    vi.stubEnv('IDEMPOTENCY_SOURCES', 'stripe,github');
    expect(() => new Idempotency({ client, tableName: 'dedup' })).toThrow(
      /`source` is required: this pipeline has several sources \(stripe, github\); make a store per source/,
    );
    // and how to route to them
    expect(() => new Idempotency({ client, tableName: 'dedup' })).toThrow(
      /pick it by the message's "source" attribute \(sqsBatchHandlerPerSource\)/,
    );
  });

  it('a single-source pipeline is unchanged: IDEMPOTENCY_SOURCE still rules when IDEMPOTENCY_SOURCES is unset', () => {
    vi.stubEnv('IDEMPOTENCY_SOURCES', undefined);
    vi.stubEnv('IDEMPOTENCY_SOURCE', 'stripe');
    expect(new Idempotency({ client, tableName: 'dedup' }).source).toBe('stripe');
    expect(() => new Idempotency({ client, tableName: 'dedup', source: 'github' })).toThrow(/IDEMPOTENCY_SOURCE/);
  });
});
