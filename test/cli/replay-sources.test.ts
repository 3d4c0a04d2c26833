import { Logger } from '@aws-lambda-powertools/logger';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayArchive } from '../../cli/replay.js';
import { s3ArchiveWriter } from '../../functions/ingest/archive.js';
import { createIngest } from '../../functions/ingest/ingest.js';
import { routeBySource } from '../../functions/ingest/source-router.js';
import type { SchemeSelector } from '../../lib/index.js';
import { recordKey } from '../../lib/store/dedup-key.js';
import { type RunningGateway, startHttpGateway } from '../../local/http-gateway.js';
import { acmeScheme, signAcme } from '../support/acme-scheme.js';
import { createTable, localClient } from '../support/dynamo.js';
import { createBucket, localS3 } from '../support/s3.js';
import { createQueues, drainMessages, localSqs } from '../support/sqs.js';
import { signGithub, signStripe } from '../support/webhook-signers.js';

// Replay on a pipeline of several sources: the archive keeps each webhook under the source the
// ingest routed it to, and `txonce replay --source S` verifies S's objects with S's scheme (the
// object's own record of it) and S's secret, and enqueues them under S, touching no other source.

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const dynamo = localClient();
const sqs = localSqs();
const s3 = localS3();
const logger = new Logger({ serviceName: 'replay-sources-test', logLevel: 'SILENT' });
const secrets = { stripe: 'whsec_replay_stripe', github: 'replay github secret', acme: 'acme secret', sms: 'tw token' };
const smsUrl = 'https://hooks.example.com/prod/webhooks/sms';
const json = { 'content-type': 'application/json' };
let gateway: RunningGateway;
let bucket: string;
let queueUrl: string;
let dedupTable: string;
const from = new Date(Date.now() - 60_000);

beforeAll(async () => {
  bucket = await createBucket(s3);
  queueUrl = (await createQueues(sqs)).queueUrl;
  dedupTable = await createTable(dynamo, 'dedup');
  const source = (name: string, scheme: SchemeSelector, more: object = {}) =>
    createIngest({
      scheme,
      source: name,
      secrets: secrets[name as keyof typeof secrets],
      sqs,
      queueUrl,
      maxBodyBytes: 4096,
      logger,
      archive: s3ArchiveWriter(bucket, s3),
      ...more,
    });
  const handler = routeBySource({
    stripe: source('stripe', 'stripe'),
    github: source('github', 'github'),
    acme: source('acme', acmeScheme),
    sms: source('sms', 'twilio', { body: 'form', url: smsUrl }),
  });
  gateway = await startHttpGateway({
    routes: ['stripe', 'github', 'acme', 'sms'].map((name) => ({ method: 'POST', path: `/webhooks/${name}`, handler })),
  });
});

afterAll(async () => {
  await gateway?.stop();
});

async function post(name: string, body: string, headers: Record<string, string>): Promise<string> {
  const response = await fetch(`${gateway.url}/webhooks/${name}`, { method: 'POST', body, headers });
  const answer = (await response.json()) as { id: string };
  expect(response.status, JSON.stringify(answer)).toBe(202);
  return answer.id;
}

/** Replays one source into a queue of its own, so what it enqueued can be read back. */
async function replay(source: string, sourceSecrets: string[]) {
  const into = (await createQueues(sqs)).queueUrl;
  const report = await replayArchive({
    s3,
    sqs,
    dynamo,
    dedupTable,
    bucket,
    source,
    from,
    to: new Date(Date.now() + 1000),
    queueUrl: into,
    secrets: sourceSecrets,
    watchSeconds: 0,
  });
  return { report, messages: await drainMessages(sqs, into) };
}

describe('txonce replay --source on a Stripe + GitHub pipeline', () => {
  let stripeKeys: string[];
  let githubKeys: string[];

  beforeAll(async () => {
    stripeKeys = await Promise.all(
      [1, 2, 3].map((n) => {
        const body = JSON.stringify({ id: `evt_multi_${n}`, type: 'invoice.paid' });
        return post('stripe', body, { ...json, ...signStripe(secrets.stripe, body) });
      }),
    );
    githubKeys = await Promise.all(
      [1, 2].map(async (n) => {
        const body = JSON.stringify({ action: 'opened', number: n });
        return post('github', body, { ...json, ...(await signGithub(secrets.github, `d-${n}`, body)) });
      }),
    );
    await drainMessages(sqs, queueUrl);
    // GitHub's first event was already applied under its own namespace; a Stripe record of the
    // same key text must not count for GitHub
    await dynamo.send(new PutCommand({ TableName: dedupTable, Item: { pk: recordKey('github', githubKeys[0]) } }));
    await dynamo.send(new PutCommand({ TableName: dedupTable, Item: { pk: recordKey('stripe', githubKeys[1]) } }));
  });

  it('replays only that source: its events, verified with its scheme and secret, under its namespace', async () => {
    const { report, messages } = await replay('github', [secrets.github]);
    expect(report).toMatchObject({ found: 2, events: 2, enqueued: 2, alreadyApplied: 1, failed: [] });
    expect(messages.map((message) => message.MessageAttributes?.idempotencyKey?.StringValue).sort()).toEqual(
      [...githubKeys].sort(),
    );
    for (const message of messages) {
      expect(message.MessageAttributes?.source?.StringValue).toBe('github');
      expect(message.MessageAttributes?.scheme?.StringValue).toBe('github');
    }

    const stripe = await replay('stripe', [secrets.stripe]);
    expect(stripe.report).toMatchObject({ found: 3, events: 3, enqueued: 3, alreadyApplied: 0, failed: [] });
    expect(stripe.messages.map((message) => message.MessageAttributes?.source?.StringValue)).toEqual([
      'stripe',
      'stripe',
      'stripe',
    ]);
    expect(stripe.messages.map((message) => message.MessageAttributes?.idempotencyKey?.StringValue).sort()).toEqual(
      [...stripeKeys].sort(),
    );
  });

  it("refuses another source's secret: each source is verified with its own", async () => {
    const { report, messages } = await replay('github', [secrets.stripe]);
    expect(report.enqueued).toBe(0);
    expect(report.failed.map((failure) => failure.why)).toEqual([
      expect.stringMatching(/^not verified again/),
      expect.stringMatching(/^not verified again/),
    ]);
    expect(messages).toHaveLength(0);
  });
});

describe('schemes the archived object records itself', () => {
  it('a source with a scheme definition (no preset) verifies again with the definition the ingest used', async () => {
    const body = JSON.stringify({ id: 'acme_1', kind: 'order.created' });
    expect(await post('acme', body, { ...json, ...signAcme(secrets.acme, body) })).toBe('acme_1');
    const { report, messages } = await replay('acme', [secrets.acme]);
    expect(report).toMatchObject({ events: 1, enqueued: 1, failed: [] });
    expect(messages[0].MessageAttributes?.scheme?.StringValue).toBe('acme');
  });

  it('a form source that signs its URL (Twilio) verifies again with the URL it was posted to, and is queued as a form', async () => {
    const body = 'AccountSid=AC1&Body=replay+me&MessageSid=SM_replay';
    const params = Object.fromEntries(new URLSearchParams(body));
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(secrets.sms, smsUrl, params),
    };
    await post('sms', body, headers);
    const { report, messages } = await replay('sms', [secrets.sms]);
    expect(report).toMatchObject({ events: 1, enqueued: 1, failed: [] });
    expect(messages[0].Body).toBe(body);
    expect(messages[0].MessageAttributes?.contentType?.StringValue).toBe('application/x-www-form-urlencoded');
  });
});
