import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIngestConfig } from '../../../functions/ingest/config.js';
import { createIngest } from '../../../functions/ingest/ingest.js';
import { ConfigError } from '../../../functions/shared/config-error.js';
import { type RunningGateway, startHttpGateway } from '../../../local/http-gateway.js';
import { createQueues, drainMessages, localSqs } from '../../support/sqs.js';
import { signStripe } from '../../support/webhook-signers.js';

// FIFO: the message group is the entity the event is about, so unrelated entities run in
// parallel and a poison message blocks only its own entity's group.

const sqs = localSqs();
const logger = new Logger({ serviceName: 'ingest-group-test', logLevel: 'SILENT' });
const secret = 'whsec_group_test';
let gateway: RunningGateway;
let queueUrl: string;

beforeAll(async () => {
  queueUrl = (await createQueues(sqs, { fifo: true })).queueUrl;
  const { messageGroupPaths } = readIngestConfig({
    QUEUE_URL: queueUrl,
    WEBHOOK_SCHEME: 'stripe',
    WEBHOOK_SECRET: secret,
  });
  gateway = await startHttpGateway({
    routes: [
      {
        method: 'POST',
        path: '/stripe',
        handler: createIngest({
          scheme: 'stripe',
          source: 'billing',
          secrets: secret,
          sqs,
          queueUrl,
          maxBodyBytes: 4096,
          messageGroupPaths,
          logger,
        }),
      },
    ],
  });
});

afterAll(async () => {
  await gateway?.stop();
});

async function deliver(event: object) {
  const body = JSON.stringify(event);
  const response = await fetch(`${gateway.url}/stripe`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json', ...signStripe(secret, body) },
  });
  expect(response.status).toBe(202);
}

describe('FIFO message groups from the verified event', () => {
  it('groups Stripe events by customer, else by the object, else each event on its own', async () => {
    await deliver({ id: 'evt_1', type: 'invoice.paid', data: { object: { id: 'in_1', customer: 'cus_1' } } });
    await deliver({ id: 'evt_2', type: 'invoice.paid', data: { object: { id: 'in_2', customer: 'cus_1' } } });
    await deliver({ id: 'evt_3', type: 'invoice.paid', data: { object: { id: 'in_3', customer: 'cus_2' } } });
    await deliver({ id: 'evt_4', type: 'customer.created', data: { object: { id: 'cus_3' } } });
    await deliver({ id: 'evt_5', type: 'ping' });
    const groups = Object.fromEntries(
      (await drainMessages(sqs, queueUrl)).map((message) => [
        message.MessageAttributes?.idempotencyKey?.StringValue,
        message.Attributes?.MessageGroupId,
      ]),
    );
    expect(groups).toEqual({
      evt_1: 'billing:cus_1',
      evt_2: 'billing:cus_1',
      evt_3: 'billing:cus_2',
      evt_4: 'billing:cus_3',
      evt_5: 'billing:event:evt_5',
    });
  });

  it('reads the paths from MESSAGE_GROUP_PATHS (JSON), with a per-scheme default, and refuses anything else', () => {
    const env = { QUEUE_URL: 'https://sqs.example/1/q.fifo', WEBHOOK_SCHEME: 'github', WEBHOOK_SECRET: 's' };
    expect(readIngestConfig(env).messageGroupPaths[0]).toBe('repository.id');
    expect(readIngestConfig({ ...env, MESSAGE_GROUP_PATHS: '["issue.id"]' }).messageGroupPaths).toEqual(['issue.id']);
    expect(() => readIngestConfig({ ...env, MESSAGE_GROUP_PATHS: 'issue.id' })).toThrow(ConfigError);
    expect(() => readIngestConfig({ ...env, MESSAGE_GROUP_PATHS: '[]' })).toThrow(/MESSAGE_GROUP_PATHS/);
  });
});
