import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { Runtime } from 'aws-cdk-lib/aws-lambda';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { allowRedriveFrom } from './redrive-allow-policy.js';
import { EVENT_QUEUE } from './settings.js';

export interface EventQueues {
  queue: Queue;
  deadLetterQueue: Queue;
  /** Sets the DLQ's redrive-allow policy (only the queue may use it) once both queues exist. */
  redriveAllowPolicy: Construct;
}

/**
 * The event queue and its DLQ. Generated names: two pipelines never collide and a replacement
 * needs no rename. The DLQ's redrive-allow policy names the queue, which already names the DLQ,
 * so it is set once both exist (a custom resource) instead of in the template, which would be a
 * dependency cycle.
 */
export function eventQueues(
  scope: Construct,
  options: {
    fifo: boolean;
    removalPolicy: RemovalPolicy;
    consumerTimeout: Duration;
    maxBatchingWindow: Duration | undefined;
    maxReceiveCount: number | undefined;
    runtime: Runtime;
  },
): EventQueues {
  const deadLetterQueue = new Queue(scope, 'DeadLetterQueue', {
    fifo: options.fifo || undefined,
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(EVENT_QUEUE.deadLetterRetentionDays),
    removalPolicy: options.removalPolicy,
  });
  // AWS: at least 6x the function timeout, plus the batching window, so a batch still being
  // gathered or processed is not delivered a second time.
  const visibilityTimeout = Duration.seconds(
    options.consumerTimeout.toSeconds() * 6 + (options.maxBatchingWindow?.toSeconds() ?? 0),
  );
  const queue = new Queue(scope, 'Queue', {
    fifo: options.fifo || undefined,
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout,
    retentionPeriod: Duration.days(EVENT_QUEUE.retentionDays),
    removalPolicy: options.removalPolicy,
    deadLetterQueue: {
      queue: deadLetterQueue,
      maxReceiveCount: options.maxReceiveCount ?? EVENT_QUEUE.maxReceiveCount,
    },
  });
  const redriveAllowPolicy = allowRedriveFrom(scope, 'RedriveAllowPolicy', {
    deadLetterQueue,
    sourceQueue: queue,
    runtime: options.runtime,
  });
  return { queue, deadLetterQueue, redriveAllowPolicy };
}
