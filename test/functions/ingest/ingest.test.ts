import { createHash, createHmac } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { readIngestConfig } from '../../../functions/ingest/config.js';
import { createIngest } from '../../../functions/ingest/ingest.js';
import { secretsManagerSource } from '../../../functions/ingest/secrets.js';
import { ingestSqsClient } from '../../../functions/ingest/sqs-client.js';
import { ConfigError } from '../../../functions/shared/config-error.js';
import type { SecretSource, WebhookScheme } from '../../../lib/index.js';
import { type RunningGateway, startHttpGateway } from '../../../local/http-gateway.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { createQueues, drainMessages, localSqs, purgeQueue, queueDepth } from '../../support/sqs.js';
import { signGithub, signStandardWebhooks, signStripe, standardWebhooksSecret } from '../../support/webhook-signers.js';

// environment a test stubs is restored even when it fails
afterEach(() => {
  vi.unstubAllEnvs();
});

const sqs = localSqs();
const logger = new Logger({ serviceName: 'ingest-test', logLevel: 'SILENT' });
const oldSecret = standardWebhooksSecret();
const newSecret = standardWebhooksSecret();
const stripeSecret = 'whsec_stripe_ingest_test';
const githubSecret = 'github ingest secret';
const queues: Record<string, string> = {};
let gateway: RunningGateway;

function route(path: string, scheme: WebhookScheme, secrets: string | string[] | SecretSource, queueUrl: string) {
  return {
    method: 'POST',
    path,
    handler: createIngest({ scheme, source: scheme, secrets, sqs, queueUrl, maxBodyBytes: 4096, logger }),
  };
}

beforeAll(async () => {
  for (const name of ['standard', 'rotating', 'stripe', 'github']) queues[name] = (await createQueues(sqs)).queueUrl;
  gateway = await startHttpGateway({
    routes: [
      route('/standard', 'standard-webhooks', [newSecret], queues.standard),
      route('/rotating', 'standard-webhooks', [newSecret, oldSecret], queues.rotating),
      route('/stripe', 'stripe', stripeSecret, queues.stripe),
      route('/github', 'github', githubSecret, queues.github),
      route('/broken-queue', 'github', githubSecret, `${inject('sqsEndpoint')}/000000000000/no-such-queue`),
    ],
  });
});

afterAll(async () => {
  await gateway?.stop();
});

beforeEach(async () => {
  for (const queueUrl of Object.values(queues)) await purgeQueue(sqs, queueUrl);
});

async function post(path: string, body: string | Buffer, headers: Record<string, string>) {
  const response = await fetch(`${gateway.url}${path}`, { method: 'POST', body, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const json = { 'Content-Type': 'application/json' };
const invoice = JSON.stringify({
  type: 'invoice.paid',
  data: { invoiceId: 'inv_1', customerId: 'cus_1', amount: 100, currency: 'EUR' },
});

describe('good webhooks land in the queue once each, with their attributes', () => {
  it('Standard Webhooks: keyed by webhook-id, the raw body untouched', async () => {
    const body = `{ "type": "invoice.paid",   "spacing": "kept" }`;
    const response = await post('/standard', body, { ...json, ...signStandardWebhooks(newSecret, 'msg_good', body) });

    expect(response).toEqual({ status: 202, body: { id: 'msg_good' } });
    const [message, ...rest] = await drainMessages(sqs, queues.standard);
    expect(rest).toHaveLength(0);
    expect(message.Body).toBe(body);
    const attributes = message.MessageAttributes ?? {};
    expect(attributes.idempotencyKey?.StringValue).toBe('msg_good');
    expect(attributes.source?.StringValue).toBe('standard-webhooks');
    expect(attributes.scheme?.StringValue).toBe('standard-webhooks');
    expect(Date.parse(attributes.receivedAt?.StringValue ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });

  it('Stripe: keyed by the event id in the body', async () => {
    const body = JSON.stringify({ id: 'evt_123', type: 'invoice.paid' });
    const response = await post('/stripe', body, {
      'Content-Type': 'application/json; charset=utf-8',
      ...signStripe(stripeSecret, body),
    });

    expect(response).toEqual({ status: 202, body: { id: 'evt_123' } });
    const messages = await drainMessages(sqs, queues.stripe);
    expect(messages.map((message) => message.MessageAttributes?.idempotencyKey?.StringValue)).toEqual(['evt_123']);
    expect(messages[0].MessageAttributes?.scheme?.StringValue).toBe('stripe');
  });

  it('GitHub: keyed by a digest of the signed body; the delivery id travels as an attribute', async () => {
    const body = JSON.stringify({ action: 'opened', number: 7 });
    const key = `body-sha256:${createHash('sha256').update(body).digest('hex')}`;
    const response = await post('/github', body, {
      ...json,
      ...(await signGithub(githubSecret, 'gh-delivery-1', body)),
    });

    expect(response).toEqual({ status: 202, body: { id: key } });
    const messages = await drainMessages(sqs, queues.github);
    expect(messages.map((message) => message.MessageAttributes?.idempotencyKey?.StringValue)).toEqual([key]);
    expect(messages[0].MessageAttributes?.deliveryId?.StringValue).toBe('gh-delivery-1');
  });

  it('GitHub: a captured delivery replayed under a new X-GitHub-Delivery carries the same key', async () => {
    const body = JSON.stringify({ action: 'closed', number: 9 });
    const captured = { ...json, ...(await signGithub(githubSecret, 'gh-delivery-original', body)) };
    expect((await post('/github', body, captured)).status).toBe(202);
    expect((await post('/github', body, { ...captured, 'X-GitHub-Delivery': 'gh-delivery-replayed' })).status).toBe(
      202,
    );

    const keys = (await drainMessages(sqs, queues.github)).map(
      (message) => message.MessageAttributes?.idempotencyKey?.StringValue,
    );
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
  });

  it('matches header names in any case the sender uses', async () => {
    const variants = [
      (name: string) => name.toLowerCase(),
      (name: string) => name.toUpperCase(),
      (name: string) => name.replace(/(^|-)(\w)/g, (_, dash, letter) => dash + letter.toUpperCase()),
    ];
    for (const [index, variant] of variants.entries()) {
      const signed = signStandardWebhooks(newSecret, `msg_case_${index}`, invoice);
      const headers = Object.fromEntries(
        Object.entries({ ...json, ...signed }).map(([name, value]) => [variant(name), value]),
      );
      expect((await post('/standard', invoice, headers)).status).toBe(202);
    }
    expect(await queueDepth(sqs, queues.standard)).toBe(3);
  });

  it('accepts the old and the new secret during a rotation, and only the new one after it', async () => {
    const signedOld = signStandardWebhooks(oldSecret, 'msg_rotation', invoice);
    expect((await post('/rotating', invoice, { ...json, ...signedOld })).status).toBe(202);
    expect(
      (await post('/rotating', invoice, { ...json, ...signStandardWebhooks(newSecret, 'msg_rotation_2', invoice) }))
        .status,
    ).toBe(202);
    const rotatedOut = await post('/standard', invoice, { ...json, ...signedOld });
    expect(rotatedOut).toMatchObject({ status: 401, body: { reason: 'bad-signature' } });
    expect(await queueDepth(sqs, queues.standard)).toBe(0);
  });
});

describe('bad webhooks get the right status and enqueue nothing', () => {
  const signed = (body: string | Buffer, id = 'msg_bad') => signStandardWebhooks(newSecret, id, body.toString());

  const cases: [string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, RegExp | string][] = [
    ['no signature headers', () => post('/standard', invoice, json), 401, 'missing-header'],
    [
      'a wrong signature',
      () =>
        post('/standard', invoice, {
          ...json,
          ...signed(invoice),
          'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}`,
        }),
      401,
      'bad-signature',
    ],
    [
      'a timestamp 10 minutes old',
      () =>
        post('/standard', invoice, {
          ...json,
          ...signStandardWebhooks(newSecret, 'm', invoice, new Date(Date.now() - 600_000)),
        }),
      401,
      'timestamp-out-of-tolerance',
    ],
    [
      'a timestamp 10 minutes ahead',
      () =>
        post('/standard', invoice, {
          ...json,
          ...signStandardWebhooks(newSecret, 'm', invoice, new Date(Date.now() + 600_000)),
        }),
      401,
      'timestamp-out-of-tolerance',
    ],
    [
      'a tampered body',
      () => post('/standard', invoice.replace('100', '900'), { ...json, ...signed(invoice) }),
      401,
      'bad-signature',
    ],
    [
      'a tampered id',
      () => post('/standard', invoice, { ...json, ...signed(invoice), 'webhook-id': 'msg_other' }),
      401,
      'bad-signature',
    ],
    [
      'bad JSON, correctly signed',
      () => post('/standard', '{"type":', { ...json, ...signed('{"type":') }),
      400,
      /not valid JSON/,
    ],
    ['an empty body, correctly signed', () => post('/standard', '', { ...json, ...signed('') }), 400, /empty/],
    [
      'a body over the size limit, correctly signed',
      () =>
        post('/standard', JSON.stringify({ pad: 'x'.repeat(5000) }), {
          ...json,
          ...signed(JSON.stringify({ pad: 'x'.repeat(5000) })),
        }),
      413,
      /at most 4096/,
    ],
    [
      'a form-encoded body, correctly signed',
      () => post('/standard', 'a=1', { 'Content-Type': 'application/x-www-form-urlencoded', ...signed('a=1') }),
      415,
      /application\/json/,
    ],
    [
      'no content type, correctly signed',
      () => post('/standard', Buffer.from(invoice), signed(invoice)),
      415,
      /got none/,
    ],
    ...['[1,2,3]', 'null', '"hello"', '42'].map((body): (typeof cases)[number] => [
      `signed JSON that is not an object: ${body}`,
      () => post('/standard', body, { ...json, ...signed(body) }),
      400,
      /JSON object/,
    ]),
    [
      'a webhook-id that is not ASCII (UTF-8 bytes, read as Latin-1)',
      () =>
        post('/standard', invoice, {
          ...json,
          ...signed(invoice, 'msg_é'),
          'webhook-id': Buffer.from('msg_é').toString('latin1'),
        }),
      400,
      /malformed-header/,
    ],
    [
      'a Stripe event without an id',
      () =>
        post('/stripe', '{"type":"invoice.paid"}', { ...json, ...signStripe(stripeSecret, '{"type":"invoice.paid"}') }),
      400,
      /no id/,
    ],
  ];

  it.each(cases)('%s', async (_, send, status, reason) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(`${response.body.reason ?? ''} ${response.body.message}`).toMatch(reason);
    expect(JSON.stringify(response.body)).not.toContain(newSecret.slice(6, 20));
    expect(await queueDepth(sqs, queues.standard)).toBe(0);
    expect(await queueDepth(sqs, queues.stripe)).toBe(0);
  });

  it('answers 503 when SQS refuses the message, so the sender retries', async () => {
    const body = '{"zen":"Design for failure."}';
    const response = await post('/broken-queue', body, {
      ...json,
      ...(await signGithub(githubSecret, 'gh-503', body)),
    });
    expect(response.status).toBe(503);
    expect(response.body.message).toMatch(/retry/);
  });
});

describe('bodies arriving base64-encoded (API Gateway binaryMediaTypes)', () => {
  it('answers 400 to a JSON body that is not valid UTF-8, even correctly signed over its bytes', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"type":"invoice.paid","note":"'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const key = Buffer.from(newSecret.slice('whsec_'.length), 'base64');
    const signature = createHmac('sha256', key)
      .update(Buffer.concat([Buffer.from(`msg_bytes.${timestamp}.`), bytes]))
      .digest('base64');
    const handler = route('/x', 'standard-webhooks', [newSecret], queues.standard).handler;
    const response = await handler(
      {
        body: bytes.toString('base64'),
        isBase64Encoded: true,
        headers: {
          ...json,
          'webhook-id': 'msg_bytes',
          'webhook-timestamp': timestamp,
          'webhook-signature': `v1,${signature}`,
        },
      } as never,
      lambdaContext(),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(/UTF-8/);
    expect(await queueDepth(sqs, queues.standard)).toBe(0);
  });
});

describe('when SQS hangs', () => {
  it('answers 503 with Retry-After well inside the function timeout, and logs it', { timeout: 9_000 }, async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const errors: string[] = [];
    const spyLogger = new Logger({ serviceName: 'ingest-test', logLevel: 'SILENT' });
    spyLogger.error = ((message: string) => errors.push(message)) as never;
    try {
      const handler = createIngest({
        scheme: 'github',
        source: 'github',
        secrets: githubSecret,
        sqs: ingestSqsClient({
          endpoint: `http://127.0.0.1:${port}`,
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }),
        queueUrl: `http://127.0.0.1:${port}/000000000000/events`,
        maxBodyBytes: 4096,
        logger: spyLogger,
      });
      const body = '{"zen":"Slow is smooth."}';
      const response = await handler(
        {
          body,
          isBase64Encoded: false,
          headers: { ...json, ...(await signGithub(githubSecret, 'gh-hang', body)) },
        } as never,
        lambdaContext(),
      );
      expect(response.statusCode).toBe(503);
      expect(response.headers?.['retry-after']).toBeDefined();
      expect(errors).toContain('could not enqueue the webhook');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('secrets from AWS Secrets Manager (moto)', () => {
  const endpoint = () => inject('sqsEndpoint');

  async function secretsManager() {
    const client = new SecretsManagerClient({
      endpoint: endpoint(),
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const fetches = { count: 0 };
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetSecretValueCommand') fetches.count++;
        return next(args);
      },
      { step: 'initialize' },
    );
    return { client, fetches };
  }

  it('fetches once, then refreshes on a mismatch so a rotation causes no outage', async () => {
    const { client, fetches } = await secretsManager();
    const name = `webhook-${Date.now()}`;
    await client.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify([oldSecret]) }));
    const queueUrl = (await createQueues(sqs)).queueUrl;
    const source = secretsManagerSource({ client, secretId: name });
    const local = await startHttpGateway({
      routes: [{ method: 'POST', path: '/sm', handler: route('/sm', 'standard-webhooks', source, queueUrl).handler }],
    });
    const send = (secret: string, id: string) =>
      fetch(`${local.url}/sm`, {
        method: 'POST',
        body: invoice,
        headers: { ...json, ...signStandardWebhooks(secret, id, invoice) },
      });
    try {
      expect((await send(oldSecret, 'sm-1')).status).toBe(202);
      expect((await send(oldSecret, 'sm-2')).status).toBe(202);
      expect(fetches.count).toBe(1);

      await client.send(
        new PutSecretValueCommand({ SecretId: name, SecretString: JSON.stringify([newSecret, oldSecret]) }),
      );
      expect((await send(newSecret, 'sm-3')).status).toBe(202);
      expect(fetches.count).toBe(2);
      expect(await queueDepth(sqs, queueUrl)).toBe(3);
    } finally {
      await local.stop();
    }
  });

  it('refreshes at most once per interval, however many forged requests arrive', async () => {
    const { client, fetches } = await secretsManager();
    const name = `webhook-forged-${Date.now()}`;
    await client.send(new CreateSecretCommand({ Name: name, SecretString: newSecret }));
    const source = secretsManagerSource({ client, secretId: name });
    const handler = route('/x', 'standard-webhooks', source, (await createQueues(sqs)).queueUrl).handler;
    const { lambdaContext } = await import('../../../local/lambda-context.js');
    for (let attempt = 0; attempt < 5; attempt++) {
      const forged = signStandardWebhooks(standardWebhooksSecret(), `forged-${attempt}`, invoice);
      const response = await handler(
        { body: invoice, headers: { ...json, ...forged }, isBase64Encoded: false } as never,
        lambdaContext(),
      );
      expect(response.statusCode).toBe(401);
    }
    expect(fetches.count).toBe(2); // the first fetch, then one refresh for all five mismatches
  });
});

describe('ingest configuration', () => {
  it('names every problem at once', () => {
    expect(() => readIngestConfig({ WEBHOOK_SCHEME: 'paypal', MAX_BODY_BYTES: '-1' })).toThrow(ConfigError);
    try {
      readIngestConfig({ WEBHOOK_SCHEME: 'paypal', MAX_BODY_BYTES: '-1' });
    } catch (error) {
      expect((error as Error).message).toMatch(
        /QUEUE_URL[\s\S]*WEBHOOK_SCHEME[\s\S]*WEBHOOK_SECRET_ID[\s\S]*MAX_BODY_BYTES/,
      );
    }
  });

  it('fails the cold start on a secret the scheme cannot use, not with 401s later', async () => {
    vi.stubEnv('QUEUE_URL', 'http://127.0.0.1:1/000000000000/q');
    vi.stubEnv('WEBHOOK_SCHEME', 'standard-webhooks');
    vi.stubEnv('WEBHOOK_SECRET', 'not a whsec secret!');
    await expect(import('../../../functions/ingest/handler.js')).rejects.toThrow(/whsec_/);
  });
});
