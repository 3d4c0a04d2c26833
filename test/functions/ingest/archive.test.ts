import { Logger } from '@aws-lambda-powertools/logger';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { s3ArchiveWriter } from '../../../functions/ingest/archive.js';
import { createIngest } from '../../../functions/ingest/ingest.js';
import { verifyWebhookSignature } from '../../../lib/index.js';
import { ARCHIVE_FAILED_MESSAGE, ARCHIVE_FORMAT, archiveKeyTime } from '../../../lib/webhooks/archive-layout.js';
import { type RunningGateway, startHttpGateway } from '../../../local/http-gateway.js';
import { createBucket, failingIngestS3, localS3, readArchive } from '../../support/s3.js';
import { createQueues, drainMessages, localSqs } from '../../support/sqs.js';
import { signStandardWebhooks, signStripe, standardWebhooksSecret } from '../../support/webhook-signers.js';

// The archive beside the enqueue (docs/archive.md): every accepted webhook is kept as signed; an
// S3 failure alone still answers 202 (the event is queued) and says so in the log; a queue failure
// is a 503 whatever the archive did.

const sqs = localSqs();
const s3 = localS3();
const secret = standardWebhooksSecret();
const stripeSecret = 'whsec_archive_test';
const json = { 'Content-Type': 'application/json' };
let gateway: RunningGateway;
let bucket: string;
let queueUrl: string;
let stripeQueueUrl: string;
let s3Failing = false;
const errors: { message: string; extra: Record<string, unknown> }[] = [];
const logger = new Logger({ serviceName: 'archive-test', logLevel: 'SILENT' });
vi.spyOn(logger, 'error').mockImplementation((message, ...extra) => {
  errors.push({ message: String(message), extra: Object.assign({}, ...extra) });
});

beforeAll(async () => {
  bucket = await createBucket(s3);
  queueUrl = (await createQueues(sqs)).queueUrl;
  stripeQueueUrl = (await createQueues(sqs)).queueUrl;
  const failingS3 = failingIngestS3(() => s3Failing);
  const common = { sqs, maxBodyBytes: 4096, logger, archive: s3ArchiveWriter(bucket, failingS3) };
  gateway = await startHttpGateway({
    routes: [
      {
        method: 'POST',
        path: '/standard',
        handler: createIngest({ ...common, scheme: 'standard-webhooks', source: 'billing', secrets: secret, queueUrl }),
      },
      {
        method: 'POST',
        path: '/stripe',
        handler: createIngest({
          ...common,
          scheme: 'stripe',
          source: 'payments',
          secrets: stripeSecret,
          queueUrl: stripeQueueUrl,
        }),
      },
      {
        method: 'POST',
        path: '/broken-queue',
        handler: createIngest({
          ...common,
          scheme: 'standard-webhooks',
          source: 'broken',
          secrets: secret,
          queueUrl: `${inject('sqsEndpoint')}/000000000000/no-such-queue`,
        }),
      },
    ],
  });
});

afterAll(async () => {
  await gateway?.stop();
});

async function post(path: string, body: string, headers: Record<string, string>) {
  const response = await fetch(`${gateway.url}${path}`, { method: 'POST', body, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const archived = (source: string) => readArchive(s3, bucket, source);

describe('the archive keeps every accepted webhook as it was signed', () => {
  it('one object per event under its source and time, verifiable again with its stored headers', async () => {
    const body = `{ "type": "invoice.paid",  "data": { "id": "inv_1" } }`;
    const headers = { ...json, ...signStandardWebhooks(secret, 'msg_archived', body), Cookie: 'session=secret' };
    expect((await post('/standard', body, headers)).status).toBe(202);

    const [entry, ...rest] = await archived('billing');
    expect(rest).toHaveLength(0);
    expect(entry).toMatchObject({
      format: ARCHIVE_FORMAT,
      source: 'billing',
      scheme: 'standard-webhooks',
      key: 'msg_archived',
      body,
      verdict: { verified: true },
    });
    expect(entry.headers.cookie).toBeUndefined(); // only what a verifier reads
    const webhook = verifyWebhookSignature({
      scheme: 'standard-webhooks',
      secrets: secret,
      headers: entry.headers,
      rawBody: entry.body,
      now: new Date(entry.receivedAt),
    });
    expect(webhook.id).toBe('msg_archived');
    const [message] = await drainMessages(sqs, queueUrl);
    expect(message.MessageAttributes?.receivedAt?.StringValue).toBe(entry.receivedAt);
  });

  it('Stripe: the signature header and the signed timestamp are kept with the body', async () => {
    const body = JSON.stringify({ id: 'evt_archived', type: 'invoice.paid', data: { object: { customer: 'cus_9' } } });
    expect((await post('/stripe', body, { ...json, ...signStripe(stripeSecret, body) })).status).toBe(202);

    const [entry] = await archived('payments');
    expect(entry.key).toBe('evt_archived');
    expect(entry.headers['stripe-signature']).toMatch(/^t=\d+,v1=/);
    expect(Date.parse(entry.verdict.signedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'payments/' }));
    expect(archiveKeyTime(Contents[0].Key ?? '')?.toISOString()).toBe(entry.receivedAt);
    await drainMessages(sqs, stripeQueueUrl);
  });
});

describe('what each failure does', () => {
  it('S3 failing: still 202, the event is queued, and the log names the key the archive misses', async () => {
    s3Failing = true;
    try {
      const body = JSON.stringify({ type: 'invoice.paid' });
      const response = await post('/standard', body, { ...json, ...signStandardWebhooks(secret, 'msg_no_s3', body) });
      expect(response).toEqual({ status: 202, body: { id: 'msg_no_s3' } });
    } finally {
      s3Failing = false;
    }
    const messages = await drainMessages(sqs, queueUrl);
    expect(messages.map((message) => message.MessageAttributes?.idempotencyKey?.StringValue)).toEqual(['msg_no_s3']);
    expect((await archived('billing')).map((entry) => entry.key)).not.toContain('msg_no_s3');
    expect(errors).toContainEqual(
      expect.objectContaining({
        message: ARCHIVE_FAILED_MESSAGE,
        extra: expect.objectContaining({ webhookId: 'msg_no_s3' }),
      }),
    );
  });

  it('the queue failing: 503 so the sender retries, whatever the archive did', async () => {
    const body = JSON.stringify({ type: 'invoice.paid' });
    const response = await post('/broken-queue', body, { ...json, ...signStandardWebhooks(secret, 'msg_no_q', body) });
    expect(response.status).toBe(503);
  });
});
