import { createHmac } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signForScheme } from '../../local/scheme-signer.js';
import { signWebhook } from '../../local/sign.js';
import { type LocalStack, type PipelineEvent, startLocalStack } from '../../local/stack.js';
import { eventually } from '../support/sqs.js';
import { synthesizeStack } from '../support/template.js';

// The done-when of issue #32's sources, on the local stack: one pipeline with Stripe, GitHub and
// Shopify sources, run from its synthesized template. Each path takes its own provider's
// signature with the local secret, commits once under its own namespace and absorbs a duplicate;
// a wrong secret on one source is a 401 counted by that source's metric (the ingest's EMF lines).

const events: PipelineEvent[] = [];
let stack: LocalStack;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  const cdkOut = synthesizeStack({ sources: ['stripe', 'github', 'shopify'] });
  stack = await startLocalStack({ cdkOut, port: 0, onEvent: (event) => events.push(event) });
  documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: stack.dynamoEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    }),
  );
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** The provider's own signature headers for `body`, made with `secret`. */
function signed(source: string, secret: string, id: string, body: string): Record<string, string> {
  if (source === 'shopify')
    return {
      'X-Shopify-Hmac-Sha256': createHmac('sha256', secret).update(body).digest('base64'),
      'X-Shopify-Webhook-Id': id,
    };
  return signWebhook(source as 'stripe' | 'github', secret, id, body);
}

async function send(source: string, body: string, secret = stack.secret) {
  const url = stack.webhookSources.find((one) => one.name === source)?.url as string;
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...signed(source, secret, `delivery_${source}`, body) },
  });
  return { status: response.status, body: (await response.json()) as { id?: string; reason?: string } };
}

const invoice = (source: string) =>
  JSON.stringify({
    id: `evt_${source}_1`, // Stripe's key; GitHub and Shopify are keyed by the body's digest
    type: 'invoice.paid',
    data: { invoiceId: `inv_${source}`, customerId: `cus_${source}`, amount: 300, currency: 'EUR' },
  });

const get = async (table: string, pk: string) =>
  (await documents.send(new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }))).Item;

/** What a function printed: its JSON lines (logs and EMF). */
const printed = () =>
  events.flatMap((event) =>
    event.stage === 'function' && typeof event.line === 'object' ? [event.line as Record<string, unknown>] : [],
  );

describe('a local pipeline with Stripe, GitHub and Shopify sources', () => {
  it('serves each source at its own path, the template naming them', () => {
    expect(stack.webhookSources.map(({ name, scheme }) => ({ name, scheme }))).toEqual([
      { name: 'stripe', scheme: 'stripe' },
      { name: 'github', scheme: 'github' },
      { name: 'shopify', scheme: 'shopify' },
    ]);
    for (const source of stack.webhookSources) expect(source.url).toMatch(new RegExp(`/webhooks/${source.name}$`));
  });

  it('commits a signed event to each path once, under its own namespace, and absorbs its duplicate', async () => {
    const keys: Record<string, string> = {};
    for (const source of ['stripe', 'github', 'shopify']) {
      for (let copy = 0; copy < 2; copy++) {
        const response = await send(source, invoice(source));
        expect(response.status, JSON.stringify(response.body)).toBe(202);
        keys[source] = response.body.id as string;
      }
    }
    expect(keys.stripe).toBe('evt_stripe_1');
    for (const source of ['stripe', 'github', 'shopify']) {
      await eventually(
        `the ${source} event is committed under "${source}#"`,
        async () => (await get(stack.resources.dedupTable, `${source}#${keys[source]}`)) !== undefined,
        30_000,
      );
    }
    await eventually(
      'each duplicate is absorbed',
      async () => printed().filter((line) => line.message === 'duplicate absorbed').length === 3,
      30_000,
    );
    const absorbed = printed().filter((line) => line.message === 'duplicate absorbed');
    expect(absorbed.map((line) => line.source).sort()).toEqual(['github', 'shopify', 'stripe']);
    for (const source of ['stripe', 'github', 'shopify'])
      expect((await get(stack.resources.customersTable, `cus_${source}`))?.paidTotal).toBe(300);

    // the one archive bucket keeps each source's webhooks under its own name
    const s3 = new S3Client({
      endpoint: stack.motoEndpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    for (const source of ['stripe', 'github', 'shopify']) {
      const { Contents = [] } = await s3.send(
        new ListObjectsV2Command({ Bucket: stack.resources.archiveBucket, Prefix: `${source}/` }),
      );
      expect({ source, objects: Contents.length }).toEqual({ source, objects: 2 });
    }
  });

  it("answers a wrong-secret request on one source with a 401 counted by that source's metric alone", async () => {
    const response = await send('shopify', invoice('forged'), 'not the shopify secret');
    expect(response).toEqual({ status: 401, body: expect.objectContaining({ reason: 'bad-signature' }) });
    const rejections = (source: string) =>
      printed()
        .filter((line) => line._aws && line.source === source)
        .reduce((sum, line) => sum + (Number(line.SignatureRejections) || 0), 0);
    await eventually('the rejection is counted', async () => rejections('shopify') === 1, 10_000);
    expect(rejections('stripe')).toBe(0);
    expect(rejections('github')).toBe(0);
    const rejected = printed().find((line) => line.message === 'webhook rejected');
    expect(rejected).toMatchObject({ source: 'shopify', statusCode: 401 });
  });
  it("is reached on every source by txonce send's signer, from the scheme and URL the stack reports", async () => {
    for (const source of stack.webhookSources) {
      const signed = signForScheme(source.definition, stack.secret, {
        id: `evt_send_${source.name}`,
        event: { type: 'test.event', data: {} },
        url: source.signedUrl,
      });
      const response = await fetch(source.url, { method: 'POST', headers: signed.headers, body: signed.body });
      expect({ source: source.name, status: response.status }).toEqual({ source: source.name, status: 202 });
    }
  });
});
