// A contract between the ingest function (which emits these EMF metrics) and the CDK construct
// (whose alarms and dashboard read them): defined once, here, where both may import it.

/** EMF metric names of the ingest, namespace "txonce", each with the dimensions `service` and `source`. */
export const INGEST_METRICS = {
  /** every request that reached the ingest for a source */
  requests: 'WebhookRequests',
  /** the requests of a source its signature check refused with a 401 */
  signatureRejections: 'SignatureRejections',
  /** the accepted webhooks of a source that were queued but not archived (the S3 write failed) */
  archiveWriteFailures: 'ArchiveWriteFailures',
} as const;

/** The dimension that tells a pipeline's sources apart in the ingest's metrics. */
export const SOURCE_DIMENSION = 'source';
