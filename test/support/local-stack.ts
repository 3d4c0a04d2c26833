import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Message, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { signWebhook } from '../../local/sign.js';
import type { LocalStack } from '../../local/stack.js';
import { peek } from '../../ops/sqs-peek.js';
import { startCommand } from './processes.js';
import { eventually } from './sqs.js';
import { synthesizeStack } from './template.js';

/** Posts a signed `invoice.paid` webhook (id `id`, invoice `inv_<id>`) to a local stack; the HTTP status. */
export async function sendInvoice(stack: LocalStack, id: string, customerId: string, amount: number): Promise<number> {
  const body = JSON.stringify({
    type: 'invoice.paid',
    data: { invoiceId: `inv_${id}`, customerId, amount, currency: 'EUR' },
  });
  const response = await fetch(stack.webhookUrl, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...signWebhook(stack.scheme, stack.secret, id, body) },
  });
  await response.arrayBuffer();
  return response.status;
}

/**
 * For a suite of local stacks: the example stack synthesized once (before all), and `track` to
 * have a stack stopped after all.
 */
export function localStackSuite(): { cdkOut: () => string; track: (stack: LocalStack) => LocalStack } {
  const stacks: LocalStack[] = [];
  let cdkOut = '';
  beforeAll(() => {
    cdkOut = synthesizeStack();
  });
  afterAll(async () => {
    for (const stack of stacks) await stack.stop();
  });
  return {
    cdkOut: () => cdkOut,
    track: (stack) => {
      stacks.push(stack);
      return stack;
    },
  };
}

/** Waits (up to a minute) until the stack's DLQ holds `count` messages; those messages, left in the DLQ. */
export async function deadLetters(stack: LocalStack, count: number): Promise<Message[]> {
  const sqs = new SQSClient({
    endpoint: stack.sqsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
  let messages: Message[] = [];
  await eventually(
    `${count} message(s) in the DLQ`,
    async () => {
      messages = await peek(sqs, stack.resources.deadLetterQueueUrl, 10);
      return messages.length === count;
    },
    60_000,
  );
  return messages;
}

/**
 * `npm start` as a user runs it (the example stack's assembly, a state file of its own), for a
 * suite: ready before all, killed after all; `stack()` is its state file, `dynamo()` a client of
 * its DynamoDB Local.
 */
export function npmStartSuite(stateFile: string) {
  let started: ReturnType<typeof startCommand> | undefined;
  let stack: LocalStack | undefined;
  let dynamo: DynamoDBDocumentClient | undefined;
  beforeAll(async () => {
    // npm start runs the template of an existing cloud assembly when TXONCE_CDK_OUT names one
    const process = startCommand('npm', ['start'], {
      PORT: '0',
      TXONCE_STATE_FILE: stateFile,
      TXONCE_CDK_OUT: synthesizeStack(),
    });
    started = process;
    await eventually(
      'npm start reports ready',
      async () => process.output().includes('txonce local stack ready'),
      60_000,
    );
    stack = JSON.parse(readFileSync(stateFile, 'utf8'));
    dynamo = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: stack?.dynamoEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      }),
    );
  }, 90_000);
  afterAll(() => {
    try {
      started?.interrupt('SIGKILL');
    } catch {
      // already gone
    }
  });
  return {
    started: () => started as ReturnType<typeof startCommand>,
    stack: () => stack as LocalStack,
    dynamo: () => dynamo as DynamoDBDocumentClient,
  };
}
