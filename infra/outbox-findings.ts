import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { acknowledge, NO_ASYNC_INVOKE, XRAY } from './nag-acknowledgements.js';

/** What of an Outbox its acknowledgements name (a shape, so this file need not import the construct). */
export interface OutboxFindingsScope extends IConstruct {
  publisher: LambdaFunction;
  failureQueue: Queue;
  signingSecret: ISecret;
}

/** The cdk-nag findings of Outbox that the design accepts, each with its reason. */
export function acknowledgeOutboxFindings(outbox: OutboxFindingsScope): void {
  acknowledge(
    outbox.failureQueue,
    'AwsSolutions-SQS3',
    'This queue is itself the failure destination (undeliverable outbox messages and exhausted stream batches).',
  );
  acknowledge(
    outbox.failureQueue,
    'Serverless-SQSRedrivePolicy',
    'This queue is itself the failure destination (undeliverable outbox messages and exhausted stream batches).',
  );
  acknowledge(outbox.publisher.role ?? outbox.publisher, 'AwsSolutions-IAM5[Resource::*]', XRAY);
  acknowledge(
    outbox.publisher,
    'Serverless-LambdaDLQ',
    `${NO_ASYNC_INVOKE}: the stream event source calls the publisher, and exhausted batches go to the failure queue (its on-failure destination).`,
  );
  if (outbox.signingSecret.node.scope === outbox) {
    acknowledge(
      outbox.signingSecret,
      'AwsSolutions-SMG4',
      'The webhook signing secret is shared with the receivers; rotating it is a coordinated, manual step (add the new secret on the receivers first).',
    );
  }
}
