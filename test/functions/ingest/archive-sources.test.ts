import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ArchiveWriter } from '../../../functions/ingest/archive.js';
import { createIngest } from '../../../functions/ingest/ingest.js';
import { routeBySource } from '../../../functions/ingest/source-router.js';
import { readIngestSources } from '../../../functions/ingest/sources-config.js';
import type { SchemeSelector } from '../../../lib/index.js';
import { type RunningGateway, startHttpGateway } from '../../../local/http-gateway.js';
import { acmeScheme, signAcme } from '../../support/acme-scheme.js';
import { captureEmf } from '../../support/emf.js';
import { createBucket, failingIngestS3, localS3, readArchive } from '../../support/s3.js';
import { createQueues, drainMessages, localSqs } from '../../support/sqs.js';
import { signGithub, signStripe } from '../../support/webhook-signers.js';

// One ingest for several sources, one archive bucket: each accepted webhook is kept under the
// source its path routed it to, with the headers that source's scheme reads; a definition (no
// preset) is kept with the object; an archive failure is counted in that source's metric.

const sqs = localSqs();
const s3 = localS3();
const logger = new Logger({ serviceName: 'archive-sources-test', logLevel: 'SILENT' });
const secrets: Record<string, string> = { stripe: 'whsec_archive_sources', github: 'gh archive secret', acme: 'acme' };
const json = { 'content-type': 'application/json' };
let gateway: RunningGateway;
let bucket: string;
let queueUrl: string;
let s3Failing = false;

beforeAll(async () => {
  bucket = await createBucket(s3);
  queueUrl = (await createQueues(sqs)).queueUrl;
  const failingS3 = failingIngestS3(() => s3Failing);
  const archive = s3ArchiveWriter(bucket, failingS3);
  const metrics = new Metrics({ namespace: 'txonce-test', serviceName: 'archive-sources-test' });
  const source = (name: string, scheme: SchemeSelector) =>
    createIngest({
      scheme,
      source: name,
      secrets: secrets[name],
      sqs,
      queueUrl,
      maxBodyBytes: 4096,
      logger,
      metrics,
      archive,
    });
  const handler = routeBySource({
    stripe: source('stripe', 'stripe'),
    github: source('github', 'github'),
    acme: source('acme', acmeScheme),
  });
  gateway = await startHttpGateway({
    routes: ['stripe', 'github', 'acme'].map((name) => ({ method: 'POST', path: `/webhooks/${name}`, handler })),
  });
});

afterAll(async () => {
  await gateway?.stop();
});

async function post(name: string, body: string, headers: Record<string, string>) {
  const response = await fetch(`${gateway.url}/webhooks/${name}`, { method: 'POST', body, headers });
  await response.arrayBuffer();
  return response.status;
}

const archived = (source: string) => readArchive(s3, bucket, source);
const emf = captureEmf();

describe('the archive of a pipeline with several sources', () => {
  it("keeps each webhook under its routed source, with the headers that source's scheme reads", async () => {
    const stripeBody = JSON.stringify({ id: 'evt_arch_src', type: 'invoice.paid' });
    const githubBody = JSON.stringify({ action: 'opened', number: 1 });
    expect(await post('stripe', stripeBody, { ...json, ...signStripe(secrets.stripe, stripeBody) })).toBe(202);
    expect(
      await post('github', githubBody, {
        ...json,
        ...(await signGithub(secrets.github, 'delivery-9', githubBody)),
        'x-github-event': 'pull_request',
      }),
    ).toBe(202);
    await drainMessages(sqs, queueUrl);

    const [stripe] = await archived('stripe');
    expect(stripe).toMatchObject({ source: 'stripe', scheme: 'stripe', key: 'evt_arch_src' });
    expect(Object.keys(stripe.headers).sort()).toEqual(['content-type', 'stripe-signature']);
    const [github] = await archived('github');
    expect(github).toMatchObject({ source: 'github', scheme: 'github', deliveryId: 'delivery-9' });
    expect(Object.keys(github.headers).sort()).toEqual(['content-type', 'x-github-delivery', 'x-hub-signature-256']);
    expect(github.schemeDefinition).toBeUndefined(); // a preset: its name is enough
  });

  it('keeps the definition of a source whose scheme is not a preset', async () => {
    const body = JSON.stringify({ id: 'acme_arch', kind: 'order.created' });
    expect(await post('acme', body, { ...json, ...signAcme(secrets.acme, body) })).toBe(202);
    await drainMessages(sqs, queueUrl);
    const [acme] = await archived('acme');
    expect(acme).toMatchObject({ source: 'acme', scheme: 'acme', key: 'acme_arch', schemeDefinition: acmeScheme });
  });

  it("counts an archive failure in that source's ArchiveWriteFailures, and still answers 202", async () => {
    s3Failing = true;
    try {
      const body = JSON.stringify({ id: 'evt_arch_fail', type: 'invoice.paid' });
      expect(await post('stripe', body, { ...json, ...signStripe(secrets.stripe, body) })).toBe(202);
    } finally {
      s3Failing = false;
    }
    await drainMessages(sqs, queueUrl);
    expect(emf.count('ArchiveWriteFailures', 'stripe')).toBe(1);
    expect(emf.count('ArchiveWriteFailures', 'github')).toBe(0);
  });
});

describe('ARCHIVE_BUCKET with WEBHOOK_SOURCES', () => {
  const env = {
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/events',
    WEBHOOK_SOURCES: JSON.stringify([
      { name: 'stripe', scheme: 'stripe', secretId: 'arn:stripe' },
      { name: 'github', scheme: 'github', secretId: 'arn:github' },
    ]),
  };

  it('is one setting for all the sources, read beside the list (not refused as a single-source setting)', () => {
    expect(readIngestSources({ ...env, ARCHIVE_BUCKET: 'billing-archive' }).archiveBucket).toBe('billing-archive');
    expect(readIngestSources(env).archiveBucket).toBeUndefined(); // archive: false
  });
});
