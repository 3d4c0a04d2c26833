import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { SqsPoller } from '../../local/sqs-poller.js';
import { DynamoStreamPoller } from '../../local/stream-poller.js';
import { createTable, localClient } from '../support/dynamo.js';
import { createQueues, eventually, localSqs, queueDepth, sendEvent } from '../support/sqs.js';

// The local stack stops its pollers before it re-creates a restarted emulator's queues and
// tables: every second stop() takes is a second of 503s. It must not wait out long polls,
// backoff sleeps, retries or a hung invocation (the function's own timeout ends that).
const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const dynamo = localClient();

async function timeToStop(poller: { stop(): Promise<void> }): Promise<number> {
  const startedAt = Date.now();
  await poller.stop();
  return Date.now() - startedAt;
}

async function streamPoller(handler: () => Promise<undefined>) {
  const tableName = await createTable(dynamo, 'poller-stop', { stream: true });
  const poller = new DynamoStreamPoller({
    dynamo: new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), ...local }),
    streams: new DynamoDBStreamsClient({ endpoint: inject('dynamoEndpoint'), ...local }),
    tableName,
    handler,
    maxRetries: 5,
  });
  await poller.start();
  await dynamo.send(new PutCommand({ TableName: tableName, Item: { pk: 'one' } }));
  return poller;
}

describe('a poller stops at once', () => {
  it('an SQS poller in a 20-second long poll', async () => {
    const { queueUrl } = await createQueues(localSqs());
    const poller = new SqsPoller({ client: localSqs(), queueUrl, handler: async () => undefined, waitTimeSeconds: 20 });
    await poller.start();
    await new Promise((resolve) => setTimeout(resolve, 300)); // in the receive
    expect(await timeToStop(poller)).toBeLessThan(1000);
  });

  it('an SQS poller lets a batch already handed to the function finish, and deletes it', async () => {
    const sqs = localSqs();
    const { queueUrl } = await createQueues(sqs, { visibilityTimeoutSeconds: 30 });
    await sendEvent(sqs, queueUrl, { id: 'in-flight' });
    let finished = false;
    let started = false;
    const poller = new SqsPoller({
      client: sqs,
      queueUrl,
      // a free slot: the loop goes back to receiving instead of waiting for the batch
      maxConcurrency: 2,
      handler: async () => {
        started = true;
        await new Promise((resolve) => setTimeout(resolve, 500));
        finished = true;
        return { batchItemFailures: [] };
      },
    });
    await poller.start();
    await eventually('the batch is being handled', async () => started);
    await poller.stop();
    // as Lambda does: stopping the mapping does not cut an invocation short, and its success is kept
    expect(finished).toBe(true);
    expect(await queueDepth(sqs, queueUrl)).toBe(0);
  });

  it('a stream poller retrying a failing batch with backoff', async () => {
    let calls = 0;
    const poller = await streamPoller(async () => {
      calls++;
      throw new Error('the partner is down');
    });
    await eventually('the batch failed once', async () => calls >= 1);
    const atStop = calls;
    expect(await timeToStop(poller)).toBeLessThan(1000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(calls).toBe(atStop); // no retry once stop() was called
  });

  it('a stream poller whose invocation hangs', async () => {
    let calls = 0;
    const poller = await streamPoller(() => {
      calls++;
      return new Promise(() => undefined); // a publisher waiting on a dead endpoint until its 60 s timeout
    });
    await eventually('the batch is being handled', async () => calls === 1);
    expect(await timeToStop(poller)).toBeLessThan(1000);
  });
});
