import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

// What every construct's cdk-nag acknowledgements share (pipeline-findings.ts, outbox-findings.ts): the
// findings the design accepts are acknowledged where the resources are made, each with its reason, so an
// app that uses the constructs passes without copying them.

export const XRAY =
  'X-Ray PutTraceSegments/PutTelemetryRecords take no resource-level permissions ("*" is required); every other statement names its resource.';

export const acknowledge = (scope: IConstruct, id: string, reason: string) =>
  Validations.of(scope).acknowledge({ id, reason });

export const NO_ASYNC_INVOKE =
  'Never invoked asynchronously, so a Lambda DLQ would never receive anything: failures are handled where the event comes from';

/** The singleton function behind AwsCustomResource (aws-cdk-lib's fixed id, one per stack). */
const AWS_CUSTOM_RESOURCE_PROVIDER = 'AWS679f53fac002430cb0da5b7982bd2287';

/** aws-cdk-lib's AwsCustomResource provider (sets the DLQ's redrive-allow policy once, at deploy). */
export function acknowledgeCustomResourceProvider(scope: IConstruct): void {
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
