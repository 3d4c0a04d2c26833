import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import type { IConstruct } from 'constructs';
import { acknowledge, acknowledgeCustomResourceProvider, NO_ASYNC_INVOKE, XRAY } from './nag-acknowledgements.js';

/** What of a WebhookPipeline its acknowledgements name (a shape, so this file need not import the construct). */
export interface PipelineFindingsScope extends IConstruct {
  api: RestApi;
  apiLogging: boolean;
  webAclAssociation: CfnWebACLAssociation | undefined;
  ingest: LambdaFunction;
  consumer: LambdaFunction;
  deadLetterQueue: Queue;
  /** the webhook secrets the construct generated (rotation is the provider's, by hand) */
  generatedSecrets: ISecret[];
}

/** The cdk-nag findings of WebhookPipeline that the design accepts, each with its reason. */
export function acknowledgePipelineFindings(pipeline: PipelineFindingsScope): void {
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
  for (const secret of pipeline.generatedSecrets) {
    acknowledge(
      secret,
      'AwsSolutions-SMG4',
      'The webhook signing secret is issued by the webhook provider (Stripe, GitHub, the sender); rotation is a manual step there, described in docs/webhooks.md ("Rotating a secret").',
    );
  }
}
