import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { Outbox } from './outbox.js';
import type { WebhookPipeline } from './pipeline.js';

// cdk-nag findings (AwsSolutions and Serverless) the design accepts, acknowledged where the resources are made,
// each with its reason, so an app that uses the constructs passes without copying them.

const XRAY =
  'X-Ray PutTraceSegments/PutTelemetryRecords take no resource-level permissions ("*" is required); every other statement names its resource.';

const acknowledge = (scope: IConstruct, id: string, reason: string) =>
  Validations.of(scope).acknowledge({ id, reason });

const NO_ASYNC_INVOKE =
  'Never invoked asynchronously, so a Lambda DLQ would never receive anything: failures are handled where the event comes from';

/** The singleton function behind AwsCustomResource (aws-cdk-lib's fixed id, one per stack). */
const AWS_CUSTOM_RESOURCE_PROVIDER = 'AWS679f53fac002430cb0da5b7982bd2287';

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
  if (!pipeline.webAclAssociation) {
    acknowledge(
      pipeline.api,
      'AwsSolutions-APIG3',
      'No WAF by default: a regional web ACL costs money per month and per request; stage throttling limits abuse. Pass webAclArn to associate one.',
    );
  }
  if (!pipeline.apiLogging) {
    const reason =
      'API Gateway access and execution logs need the account-level API Gateway CloudWatch role (one per account and region, shared by every REST API); ' +
      'the construct never creates or changes it, so logging is opt-in (apiLogging: true once the role is set). The ingest logs every request and rejection.';
    for (const id of ['AwsSolutions-APIG1', 'AwsSolutions-APIG6', 'Serverless-APIGWAccessLogging'])
      acknowledge(pipeline.api, id, reason);
  }
  for (const fn of [pipeline.ingest, pipeline.consumer])
    acknowledge(fn.role ?? fn, 'AwsSolutions-IAM5[Resource::*]', XRAY);
  acknowledge(
    pipeline.ingest,
    'Serverless-LambdaDLQ',
    `${NO_ASYNC_INVOKE}: API Gateway calls the ingest synchronously and the sender retries a 5xx.`,
  );
  acknowledge(
    pipeline.consumer,
    'Serverless-LambdaDLQ',
    `${NO_ASYNC_INVOKE}: the SQS event source calls the consumer, and the queue's redrive policy moves failing messages to the DLQ.`,
  );
  acknowledge(
    pipeline.consumer,
    'Serverless-LambdaEventSourceMappingDestination',
    "SQS event source mappings take no on-failure destination (streams and Kafka only): the queue's redrive policy to the DLQ is the failure destination.",
  );
  acknowledge(
    pipeline.deadLetterQueue,
    'AwsSolutions-SQS3',
    'This queue is the dead-letter queue itself; it has no DLQ of its own.',
  );
  acknowledge(
    pipeline.deadLetterQueue,
    'Serverless-SQSRedrivePolicy',
    'This queue is the dead-letter queue itself; it has no DLQ of its own.',
  );
  acknowledgeCustomResourceProvider(pipeline);
  if (pipeline.webhookSecret.node.scope === pipeline) {
    acknowledge(
      pipeline.webhookSecret,
      'AwsSolutions-SMG4',
      'The webhook signing secret is issued by the webhook provider (Stripe, GitHub, the sender); rotation is a manual step there, described in docs/webhooks.md ("Rotating a secret").',
    );
  }
}

export function acknowledgeOutboxFindings(outbox: Outbox): void {
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

/** aws-cdk-lib's AwsCustomResource provider (sets the DLQ's redrive-allow policy once, at deploy). */
function acknowledgeCustomResourceProvider(scope: IConstruct): void {
  const provider = Stack.of(scope).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER);
  if (!provider) return;
  const reason = (what: string) =>
    `aws-cdk-lib's AwsCustomResource provider, which CloudFormation runs once per deploy to set the DLQ's redrive-allow policy: ${what}`;
  acknowledge(
    provider,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason('its role is made by aws-cdk-lib with the AWS managed policy for writing its own logs.'),
  );
  acknowledge(
    provider,
    'Serverless-LambdaDLQ',
    reason('CloudFormation waits for its answer and fails the deploy on an error.'),
  );
  acknowledge(
    provider,
    'Serverless-LambdaTracing',
    reason('aws-cdk-lib does not offer tracing for it; one SDK call per deploy.'),
  );
}
