// The SQS message attributes an event carries from the ingest function (or the outbox publisher,
// or the local stack) to the consumer's batch handler. Named once, here, where all may import it.

/** The attributes a queued event carries; `key` is the one the consumer's batch handler requires. */
export const EVENT_ATTRIBUTES = {
  /** the idempotency key: the webhook's own event id (or its digest) */
  key: 'idempotencyKey',
  /** the pipeline's key namespace */
  source: 'source',
  /** the signature scheme the ingest verified */
  scheme: 'scheme',
  /** when the ingest accepted it, ISO 8601 */
  receivedAt: 'receivedAt',
  /** a form source's events only: `application/x-www-form-urlencoded`, the body being its parameters as sent */
  contentType: 'contentType',
  /** GitHub's unsigned delivery id, for tracing only */
  deliveryId: 'deliveryId',
  /** the outbox message's type */
  type: 'type',
} as const;
