import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { WebhookPipeline } from '../../infra/index.js';
import { signWebhook } from '../../local/sign.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { repoRoot } from '../support/package.js';
import { eventually } from '../support/sqs.js';

// A user's app is not this repository's: its own construct ids, its own consumer code and its own
// table, no outbox and no receipts topic. The local stack runs it from its template all the same.

const consumerDir = mkdtempSync(join(tmpdir(), 'txonce-user-consumer-'));
writeFileSync(
  join(consumerDir, 'index.mjs'),
  `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Idempotency, jsonBody, sqsBatchHandler } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/index.js')).href)};
const store = new Idempotency({
  client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  tableName: process.env.DEDUP_TABLE,
  source: process.env.IDEMPOTENCY_SOURCE,
});
export const handler = sqsBatchHandler({
  store,
  handler: async (record, tx) => {
    const order = jsonBody(record);
    tx.put({ TableName: process.env.ORDERS_TABLE, Item: { pk: order.order, total: order.total } });
    return { order: order.order };
  },
});
`,
);

function synthesizeUserApp(): string {
  const outdir = mkdtempSync(join(tmpdir(), 'txonce-user-app-'));
  const { context } = JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8'));
  const app = new App({ outdir, context });
  const stack = new Stack(app, 'shop-orders');
  const orders = new TableV2(stack, 'Orders', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    billing: Billing.onDemand(),
  });
  new WebhookPipeline(stack, 'GitHubEvents', {
    scheme: 'github',
    consumer: {
      code: Code.fromAsset(consumerDir),
      handler: 'index.handler',
      tables: [orders],
      environment: { ORDERS_TABLE: orders.tableName },
    },
  });
  app.synth();
  return outdir;
}

let stack: LocalStack | undefined;
afterAll(() => stack?.stop());

describe("the local stack on a user's own app", () => {
  it('runs its own consumer and table, whatever the construct ids, and lists where each part is', async () => {
    stack = await startLocalStack({ cdkOut: synthesizeUserApp(), port: 0 });
    expect(stack.scheme).toBe('github');
    expect(stack.resources.dedupTable).toMatch(/^shop-orders-GitHubEventsIdempotencyTable/);
    expect(stack.resources.queueUrl).toMatch(/shop-orders-GitHubEventsQueue/);
    // no receipts topic in this app: no partner endpoint either
    expect(stack.receiptsUrl).toBe('');
    expect(stack.urls.endpoints).toEqual([{ method: 'POST', path: '/webhooks', url: stack.webhookUrl }]);
    const ordersTable = Object.entries(stack.urls.tables).find(([id]) => id.startsWith('Orders'))?.[1];
    expect(ordersTable).toMatch(/^shop-orders-Orders/);

    const body = JSON.stringify({ order: 'ord_1', total: 42 });
    const response = await fetch(stack.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook('github', stack.secret, 'delivery-1', body) },
      body,
    });
    expect(response.status, await response.text()).toBe(202);
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: stack.dynamoEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      }),
    );
    await eventually(
      'the consumer wrote the order',
      async () =>
        (await documents.send(new GetCommand({ TableName: ordersTable, Key: { pk: 'ord_1' } }))).Item?.total === 42,
      30_000,
    );
  }, 180_000);
});
