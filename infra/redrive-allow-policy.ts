import { Stack } from 'aws-cdk-lib';
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
}

/**
 * Lets only `sourceQueue` use `deadLetterQueue` as its DLQ. In the template this would be a
 * cycle (the source queue's redrive policy names the DLQ, the DLQ's allow policy the source
 * queue) unless the queue name were fixed, so it is set by SetQueueAttributes once both queues
 * exist. Nothing is undone on delete: the DLQ goes or stays with its own removal policy.
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
  return new AwsCustomResource(scope, id, {
    onCreate: call,
    onUpdate: call,
    policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [props.deadLetterQueue.queueArn] }),
    installLatestAwsSdk: false,
    memorySize: 256,
  });
}
