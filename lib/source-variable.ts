/**
 * The environment variable that carries the key namespace from the CDK construct to the store:
 * WebhookPipeline sets it on the consumer (its `source` prop), `new Idempotency()` reads it.
 */
export const SOURCE_VARIABLE = 'IDEMPOTENCY_SOURCE';

/**
 * With several sources, WebhookPipeline sets this instead: their names, comma-separated. One
 * consumer serves them all, with a store per source (each message names its source).
 */
export const SOURCES_VARIABLE = 'IDEMPOTENCY_SOURCES';

/** The SQS message attribute the ingest puts each event's source (its key namespace) in. */
export const SOURCE_ATTRIBUTE = 'source';
