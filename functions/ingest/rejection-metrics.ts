import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { INGEST_METRICS, SOURCE_DIMENSION } from '../../lib/contracts/ingest-metrics.js';

/**
 * Counts one request of `source`, and a 401 as a signature rejection: one EMF line each, so a
 * wrong secret on one source shows in that source's metric and alarm only.
 */
export function countRequest(metrics: Metrics, source: string, statusCode: number): void {
  count(metrics, source, INGEST_METRICS.requests);
  if (statusCode === 401) count(metrics, source, INGEST_METRICS.signatureRejections);
}

/** Counts an accepted webhook of `source` the archive does not hold: that source's archive alarm. */
export function countArchiveWriteFailure(metrics: Metrics, source: string): void {
  count(metrics, source, INGEST_METRICS.archiveWriteFailures);
}

function count(metrics: Metrics, source: string, name: string): void {
  // a single metric publishes at once, with its own dimensions: nothing leaks between requests
  metrics.singleMetric().addDimension(SOURCE_DIMENSION, source).addMetric(name, MetricUnit.Count, 1);
}
