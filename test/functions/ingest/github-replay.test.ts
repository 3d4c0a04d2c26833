import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer } from '../../../functions/consumer/consumer.js';
import { createIngest } from '../../../functions/ingest/ingest.js';
import { Idempotency } from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { SqsPoller } from '../../../local/sqs-poller.js';
import { createTable, getItem, localClient } from '../../support/dynamo.js';
import { createQueues, eventually, localSqs, queueDepth } from '../../support/sqs.js';
import { signGithub } from '../../support/webhook-signers.js';

// EMF lines would flood the test output; consumer.test.ts checks them
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const dynamo = localClient();
const sqs = localSqs();
const secret = 'github replay secret';
let poller: SqsPoller | undefined;

afterAll(async () => {
  await poller?.stop();
});

describe('GitHub: a captured delivery replayed under a new X-GitHub-Delivery (ingest → SQS → consumer)', () => {
  let customersTable: string;
  let queueUrl: string;

  beforeAll(async () => {
    const [dedupTable, invoicesTable, customers] = await Promise.all([
      createTable(dynamo, 'dedup'),
      createTable(dynamo, 'invoices'),
      createTable(dynamo, 'customers'),
    ]);
    customersTable = customers;
    ({ queueUrl } = await createQueues(sqs));
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const consumer = createConsumer({
      store: new Idempotency({ client: dynamo, tableName: dedupTable, source: 'github' }),
      tables: { invoicesTable, customersTable },
      logger,
      metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
    });
    poller = new SqsPoller({ client: sqs, queueUrl, handler: consumer, waitTimeSeconds: 0 });
    await poller.start();
  });

  it('is applied once: the replay is a duplicate, not a new event', async () => {
    const ingest = createIngest({
      scheme: 'github',
      source: 'github',
      secrets: secret,
      sqs,
      queueUrl,
      maxBodyBytes: 4096,
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    });
    const body = JSON.stringify({
      type: 'invoice.paid',
      data: { invoiceId: 'inv-gh', customerId: 'cus-gh', amount: 700, currency: 'EUR' },
    });
    const captured = { 'content-type': 'application/json', ...(await signGithub(secret, 'delivery-1', body)) };
    for (const headers of [captured, { ...captured, 'X-GitHub-Delivery': 'delivery-replayed' }]) {
      const response = await ingest({ body, headers, isBase64Encoded: false } as never, lambdaContext());
      expect(response.statusCode).toBe(202);
    }

    await eventually('both messages are consumed', async () => (await queueDepth(sqs, queueUrl)) === 0);
    expect((await getItem(dynamo, customersTable, 'cus-gh'))?.paidTotal).toBe(700);
  });
});
