/**
 * The environment variable that carries the key namespace from the CDK construct to the store:
 * WebhookPipeline sets it on the consumer (its `source` prop), `new Idempotency()` reads it.
 */
export const SOURCE_VARIABLE = 'IDEMPOTENCY_SOURCE';
