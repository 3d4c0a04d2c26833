import { beforeAll, describe, expect, it } from 'vitest';
import { invokeBundle } from '../support/bundles.js';
import { createTable, localClient } from '../support/dynamo.js';
import { createQueues, drainMessages, localSqs } from '../support/sqs.js';
import { signStandardWebhooks, standardWebhooksSecret } from '../support/webhook-signers.js';

// The ingest and publisher bundles exactly as the package ships them, each run in a fresh process
// of the Node.js running the tests: in `npm run test:all` that is this machine's Node.js and, through
// test/node-majors/, every Node.js major Lambda offers. (The consumer bundle: minified-consumer.test.ts.)

const sqs = localSqs();
let queueUrl: string;
let outboxTable: string;

beforeAll(async () => {
  queueUrl = (await createQueues(sqs)).queueUrl;
  outboxTable = await createTable(localClient(), 'outbox');
});

describe(`the prebuilt bundles on Node.js ${process.versions.node}`, () => {
  it('ingest: starts, verifies a signed webhook, queues it and answers 202 with its id', async () => {
    const secret = standardWebhooksSecret();
    const body = JSON.stringify({ type: 'invoice.paid', data: { id: 'inv_1' } });
    const event = {
      httpMethod: 'POST',
      path: '/webhooks',
      headers: { 'content-type': 'application/json', ...signStandardWebhooks(secret, 'msg_bundle_1', body) },
      body,
      isBase64Encoded: false,
      requestContext: { requestId: 'req-1' },
    };
    const { response } = invokeBundle('ingest', event, {
      QUEUE_URL: queueUrl,
      WEBHOOK_SCHEME: 'standard-webhooks',
      WEBHOOK_SECRET: secret,
    });
    expect(response).toMatchObject({ statusCode: 202, body: JSON.stringify({ id: 'msg_bundle_1' }) });
    const messages = await drainMessages(sqs, queueUrl);
    expect(messages.map((message) => message.Body)).toEqual([body]);
  });

  it('publisher: starts with its settings and answers a batch without INSERTs with no failures', () => {
    const { response } = invokeBundle(
      'publisher',
      { Records: [{ eventName: 'REMOVE', dynamodb: { Keys: { pk: { S: 'gone' } } } }] },
      { OUTBOX_TABLE: outboxTable, WEBHOOK_SIGNING_SECRET: standardWebhooksSecret() },
    );
    expect(response).toEqual({ batchItemFailures: [] });
  });
});
