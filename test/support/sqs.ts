import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { queueCounts } from '../../cli/redrive.js';

export function localSqs(): SQSClient {
  return new SQSClient({
    endpoint: inject('sqsEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

export interface TestQueues {
  queueUrl: string;
  dlqUrl: string;
}

/** A queue with a DLQ after `maxReceiveCount` receives; a short visibility timeout keeps retries quick. */
export async function createQueues(
  sqs: SQSClient,
  options: { fifo?: boolean; maxReceiveCount?: number; visibilityTimeoutSeconds?: number } = {},
): Promise<TestQueues> {
  const suffix = options.fifo ? '.fifo' : '';
  const name = `events-${randomUUID().slice(0, 8)}`;
  const fifo = options.fifo ? { FifoQueue: 'true' } : {};
  const { QueueUrl: dlqUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${name}-dlq${suffix}`, Attributes: { ...fifo } }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}${suffix}`,
      Attributes: {
        ...fifo,
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 1),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes?.QueueArn,
          maxReceiveCount: options.maxReceiveCount ?? 3,
        }),
      },
    }),
  );
  return { queueUrl: queueUrl as string, dlqUrl: dlqUrl as string };
}

export async function sendEvent(
  sqs: SQSClient,
  queueUrl: string,
  body: unknown,
  options: { idempotencyKey?: string; groupId?: string } = {},
): Promise<string> {
  const { MessageId } = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
      MessageAttributes: options.idempotencyKey
        ? { idempotencyKey: { DataType: 'String', StringValue: options.idempotencyKey } }
        : undefined,
      MessageGroupId: options.groupId,
      MessageDeduplicationId: options.groupId ? randomUUID() : undefined,
    }),
  );
  return MessageId as string;
}

/** Reads every message in a queue (to inspect a DLQ), leaving them invisible for a while. */
export async function drainMessages(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        VisibilityTimeout: 60,
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
  }
}

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { visible, inFlight } = await queueCounts(sqs, queueUrl);
  return visible + inFlight;
}

/** Polls `check` until it returns true, or fails after `timeoutMs` with `what`. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Empties a queue, in-flight messages included (moto purges at once). */
export async function purgeQueue(sqs: SQSClient, queueUrl: string): Promise<void> {
  await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
}
