import type { RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { WebhookArchive, type WebhookArchiveProps } from './webhook-archive.js';

/**
 * The pipeline's archive step (on unless `props` is false): one bucket for all its sources, each
 * webhook kept under its own source's prefix. The ingest step gets the right to write it and its
 * name; the pipeline's outputs name it for `txonce replay`.
 */
export function pipelineArchive(
  pipeline: Construct,
  props: WebhookArchiveProps | false | undefined,
  removalPolicy: RemovalPolicy,
): WebhookArchive | undefined {
  if (props === false) return undefined;
  return new WebhookArchive(pipeline, 'Archive', { removalPolicy, ...props });
}
