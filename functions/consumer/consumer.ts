import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { Idempotency, type RecordOutcome, sqsBatchHandler, sqsBatchHandlerPerSource } from '../../lib/index.js';
import { applyInvoiceEvent, type BusinessTables, eventFingerprint, type InvoiceResult } from './invoice-paid.js';

export interface ConsumerDependencies {
  /** the store; with several sources, one per source name (each record runs under its source's) */
  store: Idempotency | Record<string, Idempotency>;
  tables: BusinessTables;
  deadLetter?: { client: SQSClient; queueUrl: string };
  logger: Logger;
  metrics: Metrics;
  /** Also told about every record outcome (the local stack prints them). */
  onOutcome?: (outcome: RecordOutcome<InvoiceResult>) => void;
}

/** EMF metric names, one count per record outcome. */
export const OUTCOME_METRICS = {
  committed: 'committed',
  duplicate: 'duplicate',
  failed: 'failed',
  'dead-lettered': 'deadLettered',
} as const;

/**
 * The example consumer: each SQS record is one event applied exactly once. Every outcome is
 * logged (ids, key and reason, never the body) and counted as an EMF metric.
 */
export function createConsumer(
  deps: ConsumerDependencies,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const { logger, metrics } = deps;
  const batchFor = (store: Idempotency) =>
    sqsBatchHandler<InvoiceResult>({
      store,
      handler: (record, tx) => applyInvoiceEvent(record, tx, deps.tables),
      // a reused key with another event is an IdempotencyKeyReuseError (to the DLQ), not a duplicate
      fingerprint: eventFingerprint,
      deadLetter: deps.deadLetter,
      onOutcome: (outcome) => {
        metrics.addMetric(OUTCOME_METRICS[outcome.status], MetricUnit.Count, 1);
        log(logger, outcome);
        deps.onOutcome?.(outcome);
      },
    });
  const batch =
    deps.store instanceof Idempotency
      ? batchFor(deps.store)
      : sqsBatchHandlerPerSource(
          Object.fromEntries(Object.entries(deps.store).map(([name, s]) => [name, batchFor(s)])),
        );

  return async (event, context) => {
    logger.addContext(context);
    try {
      return await batch(event, context);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

function log(logger: Logger, outcome: RecordOutcome<InvoiceResult>): void {
  const fields = {
    messageId: outcome.record.messageId,
    idempotencyKey: outcome.key,
    source: outcome.record.messageAttributes?.source?.stringValue,
    receiveCount: Number(outcome.record.attributes?.ApproximateReceiveCount ?? 1),
  };
  switch (outcome.status) {
    case 'committed':
      logger.info('event committed', { ...fields, result: outcome.result });
      return;
    case 'duplicate':
      logger.info('duplicate absorbed', { ...fields, firstSeenAt: outcome.firstSeenAt });
      return;
    case 'dead-lettered':
      logger.error('event dead-lettered', { ...fields, error: outcome.error as Error });
      return;
    case 'failed':
      logger.warn('event failed, SQS will redeliver it', {
        ...fields,
        reason: outcome.reason,
        ...(outcome.error ? { error: outcome.error as Error } : {}),
      });
      return;
  }
}
