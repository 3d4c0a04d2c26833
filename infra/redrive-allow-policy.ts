import { Stack } from 'aws-cdk-lib';
import type { CfnFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  type AwsSdkCall,
  PhysicalResourceId,
} from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';

export interface RedriveAllowProps {
  deadLetterQueue: IQueue;
  sourceQueue: IQueue;
  /** the runtime of the provider function aws-cdk-lib adds (one per stack, shared by every AwsCustomResource) */
  runtime: Runtime;
}

/**
 * Lets only `sourceQueue` use `deadLetterQueue` as its DLQ. In the template this would be a
 * cycle (the source queue's redrive policy names the DLQ, the DLQ's allow policy the source
 * queue) unless the queue name were fixed, so it is set by SetQueueAttributes once both queues
 * exist. Nothing is undone on delete: the DLQ goes or stays with its own removal policy.
 * A fixed queue name would make the template enough, but renaming a deployed queue replaces it
 * and drops what it holds.
 */
export function allowRedriveFrom(scope: Construct, id: string, props: RedriveAllowProps): AwsCustomResource {
  const call: AwsSdkCall = {
    service: 'SQS',
    action: 'setQueueAttributes',
    parameters: {
      QueueUrl: props.deadLetterQueue.queueUrl,
      Attributes: {
        RedriveAllowPolicy: Stack.of(scope).toJsonString({
          redrivePermission: 'byQueue',
          sourceQueueArns: [props.sourceQueue.queueArn],
        }),
      },
    },
    physicalResourceId: PhysicalResourceId.of(`${id}-redrive-allow`),
  };
  const resource = new AwsCustomResource(scope, id, {
    onCreate: call,
    onUpdate: call,
    policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [props.deadLetterQueue.queueArn] }),
    installLatestAwsSdk: false,
    memorySize: 256,
  });
  setProviderRuntime(scope, props.runtime);
  return resource;
}

/**
 * aws-cdk-lib gives its AwsCustomResource provider `determineLatestNodeRuntime`, which can be a
 * major behind the newest runtime it declares, and so fails cdk-nag's latest-runtime rules; it
 * has no prop for it, so the provider's CloudFormation runtime is set here. Its handler is plain
 * Node.js with the runtime's AWS SDK.
 */
function setProviderRuntime(scope: Construct, runtime: Runtime): void {
  // SingletonFunction's id in the stack: its purpose ("AWS") and its UUID without dashes
  const id = `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`;
  const provider = Stack.of(scope).node.tryFindChild(id);
  const cfn = provider?.node.defaultChild as CfnFunction | undefined;
  if (!cfn) throw new Error(`txonce: aws-cdk-lib's AwsCustomResource provider function (${id}) was not found`);
  cfn.runtime = runtime.name;
}
