import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

// Reading a queue without consuming it: shared by the CLI (redrive, dlq list) and the local
// stack (its demo and journal replay), which do not import each other.

/** Makes received messages visible again at once. */
export async function release(sqs: SQSClient, queueUrl: string, messages: Message[]): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.slice(start, start + 10).map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
}

/** Reads up to `max` messages and makes them visible again: nothing is consumed. */
export async function peek(sqs: SQSClient, queueUrl: string, max: number): Promise<Message[]> {
  const seen = new Map<string, Message>();
  while (seen.size < max) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max - seen.size),
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        VisibilityTimeout: 30,
        WaitTimeSeconds: 0,
      }),
    );
    const fresh = Messages.filter((message) => !seen.has(message.MessageId as string));
    if (fresh.length === 0) break;
    for (const message of fresh) seen.set(message.MessageId as string, message);
  }
  const messages = [...seen.values()];
  await release(sqs, queueUrl, messages);
  return messages;
}
