import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIngest } from '../../../functions/ingest/ingest.js';
import { routeBySource } from '../../../functions/ingest/source-router.js';
import { readIngestSources } from '../../../functions/ingest/sources-config.js';
import { ConfigError } from '../../../functions/shared/config-error.js';
import type { SchemeSelector } from '../../../lib/index.js';
import { type RunningGateway, startHttpGateway } from '../../../local/http-gateway.js';
import { acmeScheme } from '../../support/acme-scheme.js';
import { captureEmf } from '../../support/emf.js';
import { createQueues, drainMessages, localSqs, purgeQueue } from '../../support/sqs.js';
import { signGithub, signStripe } from '../../support/webhook-signers.js';

// One ingest, several sources: each /webhooks/<name> path verifies with its own scheme and
// secret, queues under its own name, takes its own body type, and counts its own rejections.

const sqs = localSqs();
const logger = new Logger({ serviceName: 'ingest-sources-test', logLevel: 'SILENT' });
const secrets = { stripe: 'whsec_sources_stripe', github: 'sources github secret', sms: 'twilio auth token' };
const twilioUrl = 'https://hooks.example.com/prod/webhooks/sms';
let queueUrl: string;
let gateway: RunningGateway;

function source(name: string, scheme: SchemeSelector, secret: string, more: object = {}) {
  return createIngest({
    scheme,
    source: name,
    secrets: secret,
    sqs,
    queueUrl,
    maxBodyBytes: 4096,
    logger,
    metrics: new Metrics({ namespace: 'txonce-test', serviceName: 'ingest-sources-test' }),
    ...more,
  });
}

beforeAll(async () => {
  queueUrl = (await createQueues(sqs)).queueUrl;
  const handler = routeBySource({
    stripe: source('stripe', 'stripe', secrets.stripe),
    github: source('github', 'github', secrets.github),
    sms: source('sms', 'twilio', secrets.sms, { body: 'form', url: twilioUrl }),
  });
  gateway = await startHttpGateway({
    routes: ['stripe', 'github', 'sms', 'other'].map((name) => ({
      method: 'POST',
      path: `/webhooks/${name}`,
      handler,
    })),
  });
});

afterAll(async () => {
  await gateway?.stop();
});

beforeEach(async () => {
  await purgeQueue(sqs, queueUrl);
});

const emf = captureEmf();

async function post(name: string, body: string, headers: Record<string, string>) {
  const response = await fetch(`${gateway.url}/webhooks/${name}`, { method: 'POST', body, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const emfCount = emf.count;

const json = { 'Content-Type': 'application/json' };

describe('one ingest for several sources', () => {
  it("verifies each path with its own scheme and secret, and queues the event under the source's name", async () => {
    const stripeBody = JSON.stringify({ id: 'evt_multi_1', type: 'invoice.paid' });
    const githubBody = JSON.stringify({ action: 'opened', repository: { id: 7 } });
    expect(await post('stripe', stripeBody, { ...json, ...signStripe(secrets.stripe, stripeBody) })).toEqual({
      status: 202,
      body: { id: 'evt_multi_1' },
    });
    const github = await post('github', githubBody, {
      ...json,
      ...(await signGithub(secrets.github, 'd-1', githubBody)),
    });
    expect(github.status).toBe(202);

    const messages = await drainMessages(sqs, queueUrl);
    const attributes = Object.fromEntries(
      messages.map((message) => [
        message.MessageAttributes?.source?.StringValue,
        message.MessageAttributes?.idempotencyKey?.StringValue,
      ]),
    );
    expect(attributes).toEqual({ stripe: 'evt_multi_1', github: github.body.id });
    expect(String(github.body.id)).toMatch(/^body-sha256:[0-9a-f]{64}$/);
  });

  it("refuses one source's valid signature on another source's path: the secrets are not shared", async () => {
    const body = JSON.stringify({ action: 'opened' });
    // a GitHub-style signature made with Stripe's secret, sent to the GitHub path
    const response = await post('github', body, { ...json, ...(await signGithub(secrets.stripe, 'd-2', body)) });
    expect(response.status).toBe(401);
    expect(await drainMessages(sqs, queueUrl)).toHaveLength(0);
  });

  it("counts a wrong-secret 401 in that source's SignatureRejections only, and every request in its WebhookRequests", async () => {
    const body = JSON.stringify({ id: 'evt_wrong', type: 'invoice.paid' });
    expect((await post('stripe', body, { ...json, ...signStripe('whsec_not_the_secret', body) })).status).toBe(401);
    const good = JSON.stringify({ action: 'closed' });
    expect((await post('github', good, { ...json, ...(await signGithub(secrets.github, 'd-3', good)) })).status).toBe(
      202,
    );
    expect(emfCount('SignatureRejections', 'stripe')).toBe(1);
    expect(emfCount('SignatureRejections', 'github')).toBe(0);
    expect(emfCount('WebhookRequests', 'stripe')).toBe(1);
    expect(emfCount('WebhookRequests', 'github')).toBe(1);
  });

  it('takes form parameters on a form source (Twilio), queued as sent and marked as a form', async () => {
    const body = 'AccountSid=AC1&Body=hello+there&From=%2B14158141829&MessageSid=SM9';
    const params = Object.fromEntries(new URLSearchParams(body));
    const headers = {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': twilio.getExpectedTwilioSignature(secrets.sms, twilioUrl, params),
    };
    const response = await post('sms', body, headers);
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    const [message] = await drainMessages(sqs, queueUrl);
    expect(message.Body).toBe(body);
    expect(message.MessageAttributes?.source?.StringValue).toBe('sms');
    expect(message.MessageAttributes?.contentType?.StringValue).toBe('application/x-www-form-urlencoded');
    // a JSON source still refuses a form body, and a form source a JSON one
    const stripeForm = 'id=evt_form';
    expect(
      (
        await post('stripe', stripeForm, {
          'Content-Type': 'application/x-www-form-urlencoded',
          ...signStripe(secrets.stripe, stripeForm),
        })
      ).status,
    ).toBe(415);
  });

  it('answers 404 naming the sources for a path that names none', async () => {
    const response = await post('other', '{}', json);
    expect(response).toEqual({
      status: 404,
      body: { message: 'No webhook source is named "other"; post to /webhooks/<source>, one of: stripe, github, sms.' },
    });
  });
});

describe('WEBHOOK_SOURCES, as WebhookPipeline writes it', () => {
  const env = (sources: unknown, more: Record<string, string> = {}) => ({
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/events',
    WEBHOOK_SOURCES: JSON.stringify(sources),
    ...more,
  });

  it('reads each source: a preset by name or a definition, its secret, body type and message-group paths', () => {
    const acme = acmeScheme;
    const config = readIngestSources(
      env([
        { name: 'stripe', scheme: 'stripe', secretId: 'arn:stripe' },
        { name: 'acme', scheme: acme, secretId: 'arn:acme', body: 'form', toleranceSeconds: 60 },
      ]),
    );
    expect(config.sources.map(({ name, secretId, body }) => ({ name, secretId, body }))).toEqual([
      { name: 'stripe', secretId: 'arn:stripe', body: 'json' },
      { name: 'acme', secretId: 'arn:acme', body: 'form' },
    ]);
    expect(config.sources[0].messageGroupPaths).toEqual(['data.object.customer', 'data.object.id']);
    expect(config.sources[1].scheme).toEqual(acme);
  });

  it('names every problem at once: a bad name, a repeat, an unknown scheme, no secret, single-source settings beside it', () => {
    const read = () =>
      readIngestSources(
        env(
          [
            { name: 'a/b', scheme: 'stripe', secretId: 'x' },
            { name: 'gh', scheme: 'paypal', secretId: 'x' },
            { name: 'gh', scheme: 'github' },
          ],
          { WEBHOOK_SCHEME: 'stripe' },
        ),
      );
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/WEBHOOK_SCHEME is for a single source/);
    expect(read).toThrow(/WEBHOOK_SOURCES\[0\] \("a\/b"\): name must be/);
    expect(read).toThrow(/WEBHOOK_SOURCES\[1\] \("gh"\): verifyWebhook: scheme must be one of/);
    expect(read).toThrow(/WEBHOOK_SOURCES\[2\] \("gh"\): the name is given twice/);
    expect(read).toThrow(/WEBHOOK_SOURCES\[2\] \("gh"\): secretId must name/);
  });

  it('without WEBHOOK_SOURCES, the single source of WEBHOOK_SCHEME and WEBHOOK_SOURCE, as before', () => {
    const config = readIngestSources({
      QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/q',
      WEBHOOK_SCHEME: 'github',
      WEBHOOK_SOURCE: 'repos',
      WEBHOOK_SECRET_ID: 'arn:gh',
    });
    expect(config.sources).toHaveLength(1);
    expect(config.sources[0]).toMatchObject({ name: 'repos', scheme: 'github', secretId: 'arn:gh', body: 'json' });
  });
});
