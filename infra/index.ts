/**
 * `txonce/cdk`: the constructs, for apps that deploy txonce with the AWS CDK:
 * {@link WebhookPipeline} (the whole pipeline), {@link IdempotencyTable}, {@link Outbox},
 * {@link StreamConsumer} and {@link PipelineMonitoring}.
 *
 * @module txonce/cdk
 */
export { IdempotencyTable, type IdempotencyTableProps } from './idempotency-table.js';
export { Outbox, type OutboxProps } from './outbox.js';
export { type ConsumerProps, WebhookPipeline, type WebhookPipelineProps, type WebhookScheme } from './pipeline.js';
export { PipelineMonitoring, type PipelineMonitoringProps } from './pipeline-monitoring.js';
export { StreamConsumer, type StreamConsumerProps, type StreamSourceProps } from './stream-consumer.js';
export { WebhookArchive, type WebhookArchiveProps } from './webhook-archive.js';
export type { WebhookSourceProps } from './webhook-sources.js';
