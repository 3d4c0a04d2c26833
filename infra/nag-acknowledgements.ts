import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { Outbox } from './outbox.js';
import type { WebhookPipeline } from './pipeline.js';

// cdk-nag (AwsSolutions) findings the design accepts, acknowledged where the resources are made,
// each with its reason, so an app that uses the constructs passes without copying them.

const XRAY =
  'X-Ray PutTraceSegments/PutTelemetryRecords take no resource-level permissions ("*" is required); every other statement names its resource.';

const acknowledge = (scope: IConstruct, id: string, reason: string) =>
  Validations.of(scope).acknowledge({ id, reason });

export function acknowledgePipelineFindings(pipeline: WebhookPipeline): void {
  acknowledge(
    pipeline.api,
    'AwsSolutions-APIG4',
    'Webhook senders (Stripe, GitHub, Standard Webhooks senders) cannot sign AWS requests or hold Cognito tokens: ' +
      'every request is authenticated by its HMAC signature in the ingest function before anything is enqueued.',
  );
  acknowledge(
    pipeline.api,
    'AwsSolutions-COG4',
    'Same as APIG4: webhooks authenticate by signature, not by a Cognito user pool.',
  );
  acknowledge(
    pipeline.api,
    'AwsSolutions-APIG3',
    'No WAF by default: a regional web ACL costs money per month and per request; stage throttling limits abuse. Attach one for production if needed.',
  );
  acknowledge(
    pipeline.api,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    'API Gateway account-level CloudWatch role: AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS provides for execution logging.',
  );
  for (const fn of [pipeline.ingest, pipeline.consumer])
    acknowledge(fn.role ?? fn, 'AwsSolutions-IAM5[Resource::*]', XRAY);
  acknowledge(
    pipeline.deadLetterQueue,
    'AwsSolutions-SQS3',
    'This queue is the dead-letter queue itself; it has no DLQ of its own.',
  );
  if (pipeline.webhookSecret.node.scope === pipeline) {
    acknowledge(
      pipeline.webhookSecret,
      'AwsSolutions-SMG4',
      'The webhook signing secret is issued by the webhook provider (Stripe, GitHub, the sender); rotation is a manual step there, described in the README.',
    );
  }
}

export function acknowledgeOutboxFindings(outbox: Outbox): void {
  acknowledge(
    outbox.failureQueue,
    'AwsSolutions-SQS3',
    'This queue is itself the failure destination (undeliverable outbox messages and exhausted stream batches).',
  );
  acknowledge(outbox.publisher.role ?? outbox.publisher, 'AwsSolutions-IAM5[Resource::*]', XRAY);
  if (outbox.signingSecret.node.scope === outbox) {
    acknowledge(
      outbox.signingSecret,
      'AwsSolutions-SMG4',
      'The webhook signing secret is shared with the receivers; rotating it is a coordinated, manual step (add the new secret on the receivers first).',
    );
  }
}
