import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPublisher, type PublishResult } from '../../../functions/publisher/publisher.js';
import {
  type Destination,
  Idempotency,
  type IdempotentContext,
  idempotency,
  type OutboxMessage,
  type VerifiedWebhookEvent,
  verifyWebhook,
} from '../../../lib/index.js';
import { type Route, type RunningGateway, startHttpGateway } from '../../../local/http-gateway.js';
import { DynamoStreamPoller } from '../../../local/stream-poller.js';
import { createTable, getItem, localClient, scanAll } from '../../support/dynamo.js';
import { outage } from '../../support/outage.js';
import { createQueues, drainMessages, eventually, localSqs } from '../../support/sqs.js';
import { standardWebhooksSecret } from '../../support/webhook-signers.js';

const dynamo = localClient();
const sqs = localSqs();
const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const signingSecret = standardWebhooksSecret();
const logger = new Logger({ serviceName: 'publisher-test', logLevel: 'SILENT' });
let dedupTable: string;
let outboxTable: string;
let receipts: string;
let store: Idempotency;
let receiver: RunningGateway;
const deliveriesById = new Map<string, number>();
let loseFirstResponse = new Set<string>();
let alwaysFail = 0;
let flakyDown = true;

/** A receiver built on txonce: verifies the publisher's signature and applies each message id once. */
async function startReceiver() {
  const receiverStore = new Idempotency({ client: dynamo, tableName: dedupTable, source: 'receiver' });
  const apply = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(verifyWebhook({ scheme: 'standard-webhooks', secrets: signingSecret }))
    .handler(
      idempotency(
        { store: receiverStore, key: (event: APIGatewayProxyEvent) => (event as VerifiedWebhookEvent).webhook.id },
        async (event, context) => {
          const message = JSON.parse(event.body ?? '{}');
          context.tx.update({
            TableName: receipts,
            Key: { pk: message.data.invoice },
            UpdateExpression: 'ADD applied :one',
            ExpressionAttributeValues: { ':one': 1 },
          });
          return { statusCode: 200, body: '{"ok":true}' };
        },
      ),
    );
  const route = (path: string) => routes.find((candidate) => candidate.path === path)?.handler as Route['handler'];
  const routes: Route[] = [
    {
      method: 'POST',
      path: '/hooks',
      handler: async (event, context) => {
        const id = event.headers['webhook-id'] ?? '';
        deliveriesById.set(id, (deliveriesById.get(id) ?? 0) + 1);
        const response = await apply(event, context as IdempotentContext);
        // the receiver committed, but the publisher never hears it: it must retry with the same id
        if (loseFirstResponse.delete(id)) return { statusCode: 502, body: 'lost' };
        return response;
      },
    },
    { method: 'POST', path: '/down', handler: async () => ({ statusCode: 503, body: `down ${++alwaysFail}` }) },
    {
      method: 'POST',
      path: '/flaky',
      handler: async (event, context) => {
        if (flakyDown) return { statusCode: 503, body: 'down for now' };
        return route('/hooks')(event, context);
      },
    },
    { method: 'POST', path: '/refuses', handler: async () => ({ statusCode: 400, body: 'no such account' }) },
  ];
  return startHttpGateway({ routes });
}

beforeAll(async () => {
  [dedupTable, outboxTable, receipts] = await Promise.all([
    createTable(dynamo, 'dedup'),
    createTable(dynamo, 'outbox', { stream: true }),
    createTable(dynamo, 'receipts'),
  ]);
  store = new Idempotency({ client: dynamo, tableName: dedupTable, source: 'shop', outboxTable });
  receiver = await startReceiver();
});

afterAll(() => receiver?.stop());

function publisher(options: { failureQueueUrl?: string; results?: PublishResult[]; outbox?: string } = {}) {
  const endpoint = inject('sqsEndpoint');
  return createPublisher({
    dynamo,
    outboxTable: options.outbox ?? outboxTable,
    targets: {
      sqs: () => sqs,
      sns: () => new SNSClient({ endpoint, ...local }),
      eventBridge: () => new EventBridgeClient({ endpoint, ...local }),
      webhookSecret: signingSecret,
    },
    failureQueue: options.failureQueueUrl ? { client: sqs, queueUrl: options.failureQueueUrl } : undefined,
    maxAttempts: 3,
    baseDelayMs: 10,
    deliveredExpiry: { attribute: 'expiresAt', seconds: 3600 },
    logger,
    onResult: (result) => options.results?.push(result),
  });
}

/** Commits an event that emits `message`, and returns the stream event the publisher would get for it. */
async function emitted(message: OutboxMessage): Promise<{ messageId: string; event: DynamoDBStreamEvent }> {
  const outcome = await store.run({ key: `evt_${randomUUID()}` }, (tx) => tx.emit(message));
  const messageId = outcome.result as string;
  const item = await getItem(dynamo, outboxTable, messageId);
  const { marshall } = await import('@aws-sdk/util-dynamodb');
  return {
    messageId,
    event: {
      Records: [
        {
          eventName: 'INSERT',
          eventSource: 'aws:dynamodb',
          dynamodb: {
            NewImage: marshall(item) as never,
            SequenceNumber: String(Date.now()),
            Keys: marshall({ pk: messageId }) as never,
          },
        },
      ],
    },
  };
}

const webhook = (path: string): Destination => ({ kind: 'webhook', url: `${receiver.url}${path}` });

describe('the publisher', () => {
  it('delivers to SQS, SNS and EventBridge with the message id as idempotencyKey, and records the delivery', async () => {
    const endpoint = inject('sqsEndpoint');
    const targets = await Promise.all([createQueues(sqs), createQueues(sqs), createQueues(sqs)]);
    const arn = async (queueUrl: string) =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes
        ?.QueueArn as string;
    const sns = new SNSClient({ endpoint, ...local });
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `receipts-${randomUUID().slice(0, 8)}` }));
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'sqs',
        Endpoint: await arn(targets[1].queueUrl),
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    const events = new EventBridgeClient({ endpoint, ...local });
    const busName = `bus-${randomUUID().slice(0, 8)}`;
    await events.send(new CreateEventBusCommand({ Name: busName }));
    await events.send(
      new PutRuleCommand({ Name: 'all', EventBusName: busName, EventPattern: JSON.stringify({ source: ['shop'] }) }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'all',
        EventBusName: busName,
        Targets: [{ Id: 'q', Arn: await arn(targets[2].queueUrl) }],
      }),
    );

    const destinations: Destination[] = [
      { kind: 'sqs', queueUrl: targets[0].queueUrl },
      { kind: 'sns', topicArn: TopicArn as string },
      { kind: 'eventbridge', busName, source: 'shop' },
    ];
    for (const [index, destination] of destinations.entries()) {
      const { messageId, event } = await emitted({
        destination,
        type: 'receipt.requested',
        payload: { invoice: `inv-${index}` },
      });
      expect(await publisher()(event)).toEqual({ batchItemFailures: [] });
      const [arrived] = await drainMessages(sqs, targets[index].queueUrl);
      const body = JSON.parse(arrived.Body ?? '{}');
      const envelope = destination.kind === 'eventbridge' ? body.detail : body;
      expect(envelope).toMatchObject({ id: messageId, type: 'receipt.requested', data: { invoice: `inv-${index}` } });
      if (destination.kind !== 'eventbridge')
        expect(arrived.MessageAttributes?.idempotencyKey?.StringValue).toBe(messageId);
      const item = await getItem(dynamo, outboxTable, messageId);
      expect(item).toMatchObject({ status: 'delivered', attempts: 1 });
      expect(Date.parse(String(item?.deliveredAt))).toBeGreaterThan(0);
      expect(item?.history).toEqual([expect.objectContaining({ ok: true })]);
      // kept an hour for inspection, then DynamoDB's TTL removes it
      expect(Number(item?.expiresAt) - Date.now() / 1000).toBeGreaterThan(3600 - 120);
      expect(Number(item?.expiresAt) - Date.now() / 1000).toBeLessThanOrEqual(3600);
    }
  });

  it('signs webhooks as a Standard Webhooks sender; a receiver on txonce applies each message once though the publisher retries', async () => {
    const { messageId, event } = await emitted({ destination: webhook('/hooks'), payload: { invoice: 'inv-retry' } });
    loseFirstResponse = new Set([messageId]);

    expect(await publisher()(event)).toEqual({ batchItemFailures: [] });

    expect(deliveriesById.get(messageId)).toBe(2); // the same webhook-id both times
    expect((await getItem(dynamo, receipts, 'inv-retry'))?.applied).toBe(1);
    const item = await getItem(dynamo, outboxTable, messageId);
    expect(item).toMatchObject({ status: 'delivered', attempts: 2 });
    expect((item?.history as { ok: boolean }[] | undefined)?.map((entry) => entry.ok)).toEqual([false, true]);
  });

  it('sends a message whose attempts run out to the failure queue, marked failed with its history', async () => {
    const { dlqUrl: failureQueueUrl } = await createQueues(sqs);
    const { messageId, event } = await emitted({ destination: webhook('/down'), payload: { invoice: 'inv-down' } });
    const results: PublishResult[] = [];

    expect(await publisher({ failureQueueUrl, results })(event)).toEqual({ batchItemFailures: [] });

    expect(results).toEqual([expect.objectContaining({ messageId, status: 'failed', attempts: 3 })]);
    const [failed] = await drainMessages(sqs, failureQueueUrl);
    expect(JSON.parse(failed.Body ?? '{}')).toMatchObject({ messageId, destination: { kind: 'webhook' } });
    expect(failed.MessageAttributes?.['txonce.errorMessage']?.StringValue).toMatch(/answered 503/);
    const item = await getItem(dynamo, outboxTable, messageId);
    expect(item).toMatchObject({ status: 'failed', attempts: 3 });
    expect(item?.expiresAt).toBeUndefined(); // a failed message stays until someone republishes it
  });

  it('does not retry a message the receiver refuses with a 4xx', async () => {
    const { dlqUrl: failureQueueUrl } = await createQueues(sqs);
    const { messageId, event } = await emitted({
      destination: webhook('/refuses'),
      payload: { invoice: 'inv-refused' },
    });
    await publisher({ failureQueueUrl })(event);
    expect(await getItem(dynamo, outboxTable, messageId)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(await drainMessages(sqs, failureQueueUrl)).toHaveLength(1);
  });

  it('without a failure queue, reports the record and every later one, so the stream retries them in order', async () => {
    const first = await emitted({ destination: webhook('/down'), payload: { invoice: 'a' } });
    const second = await emitted({ destination: webhook('/hooks'), payload: { invoice: 'b' } });
    const event = { Records: [...first.event.Records, ...second.event.Records] };
    event.Records[1].dynamodb = {
      ...event.Records[1].dynamodb,
      SequenceNumber: `${Number(event.Records[0].dynamodb?.SequenceNumber) + 1}`,
    };

    const response = await publisher()(event);

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
      event.Records.map((record) => record.dynamodb?.SequenceNumber),
    );
    expect(deliveriesById.get(second.messageId)).toBeUndefined();
  });
});

describe('the publisher through an outage', () => {
  it('keeps trying with backoff through its retry window, and delivers once the receiver is back', async () => {
    flakyDown = true;
    const { messageId, event } = await emitted({ destination: webhook('/flaky'), payload: { invoice: 'inv-outage' } });
    const results: PublishResult[] = [];
    const publishing = createPublisher({
      dynamo,
      outboxTable,
      targets: { webhookSecret: signingSecret },
      baseDelayMs: 20,
      maxDelayMs: 100,
      retryWindowMs: 10_000,
      logger,
      onResult: (result) => results.push(result),
    })(event);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // well past three quick attempts
    flakyDown = false;

    expect(await publishing).toEqual({ batchItemFailures: [] });
    expect(results).toEqual([expect.objectContaining({ messageId, status: 'delivered' })]);
    const item = await getItem(dynamo, outboxTable, messageId);
    expect(item?.status).toBe('delivered');
    expect(item?.attempts).toBeGreaterThan(4);
    expect(item?.history).toHaveLength(Number(item?.attempts));
    expect((await getItem(dynamo, receipts, 'inv-outage'))?.applied).toBe(1);
  });

  it('writes the final status once the database is back, with the attempts it could not record during the outage', async () => {
    const { dlqUrl: failureQueueUrl } = await createQueues(sqs);
    const { messageId, event } = await emitted({ destination: webhook('/down'), payload: { invoice: 'inv-db-down' } });
    const ownDynamo = localClient();
    const database = outage(ownDynamo);
    database.down = true;
    const publishing = createPublisher({
      dynamo: ownDynamo,
      outboxTable,
      targets: { webhookSecret: signingSecret },
      failureQueue: { client: sqs, queueUrl: failureQueueUrl },
      baseDelayMs: 20,
      maxDelayMs: 50,
      retryWindowMs: 300,
      logger,
    })(event);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the window ends while the database is down
    expect(database.refused).toBeGreaterThan(0);
    database.down = false;

    expect(await publishing).toEqual({ batchItemFailures: [] });
    const item = await getItem(dynamo, outboxTable, messageId);
    expect(item?.status).toBe('failed');
    expect(item?.attempts).toBeGreaterThan(1);
    expect(item?.history).toHaveLength(Number(item?.attempts));
    expect(await drainMessages(sqs, failureQueueUrl)).toHaveLength(1);
  });

  it('reports the record as a batch item failure, not a silent success, when its status cannot be written in time', async () => {
    const { dlqUrl: failureQueueUrl } = await createQueues(sqs);
    const { messageId, event } = await emitted({ destination: webhook('/hooks'), payload: { invoice: 'inv-no-db' } });
    const ownDynamo = localClient();
    outage(ownDynamo).down = true;
    const response = await createPublisher({
      dynamo: ownDynamo,
      outboxTable,
      targets: { webhookSecret: signingSecret },
      failureQueue: { client: sqs, queueUrl: failureQueueUrl },
      baseDelayMs: 20,
      maxDelayMs: 50,
      retryWindowMs: 300,
      invocationBudgetMs: 500,
      logger,
    })(event);
    expect(response.batchItemFailures).toHaveLength(1); // the stream delivers it again: same id, the receiver dedups
    expect((await getItem(dynamo, outboxTable, messageId))?.status).toBe('pending');
  });
});

describe('the outbox end to end, through DynamoDB Local streams', () => {
  it('delivers what committed events emit, once each, and nothing for duplicates', async () => {
    const ownOutbox = await createTable(dynamo, 'outbox-e2e', { stream: true });
    const shop = new Idempotency({ client: dynamo, tableName: dedupTable, source: 'shop-e2e', outboxTable: ownOutbox });
    const streams = new DynamoDBStreamsClient({ endpoint: inject('dynamoEndpoint'), ...local });
    const poller = new DynamoStreamPoller({
      dynamo: new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), ...local }),
      streams,
      tableName: ownOutbox,
      handler: publisher({ outbox: ownOutbox }),
      filter: (record) => record.eventName === 'INSERT',
    });
    const sendReceipt = (invoice: string) =>
      shop.run({ key: `order-${invoice}` }, (tx) => {
        tx.emit({ destination: webhook('/hooks'), type: 'receipt.requested', payload: { invoice } });
      });
    await poller.start();
    try {
      await sendReceipt('stream-1');
      await sendReceipt('stream-2');
      await sendReceipt('stream-1'); // a duplicate event: emits nothing

      await eventually('both receipts are applied', async () =>
        (await Promise.all(['stream-1', 'stream-2'].map((pk) => getItem(dynamo, receipts, pk)))).every(
          (item) => item?.applied === 1,
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 500)); // give a wrong second delivery time to show
      for (const invoice of ['stream-1', 'stream-2'])
        expect((await getItem(dynamo, receipts, invoice))?.applied).toBe(1);
      const delivered = await scanAll(dynamo, ownOutbox);
      expect(delivered.map((item) => item.status)).toEqual(['delivered', 'delivered']);
    } finally {
      await poller.stop();
    }
  });
});
