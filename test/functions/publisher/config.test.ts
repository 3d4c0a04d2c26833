import { afterEach, describe, expect, it, vi } from 'vitest';
import { readPublisherConfig } from '../../../functions/publisher/config.js';
import { ConfigError } from '../../../functions/shared/config-error.js';

// environment a test stubs is restored even when it fails
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('publisher configuration', () => {
  it('reads the outbox table, failure queue, signing secret and attempts', () => {
    expect(
      readPublisherConfig({
        OUTBOX_TABLE: 'outbox',
        FAILURE_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/failures',
        WEBHOOK_SIGNING_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:1:secret:signing',
        PUBLISH_MAX_ATTEMPTS: '5',
        PUBLISH_RETRY_WINDOW_SECONDS: '900',
        OUTBOX_TTL_ATTRIBUTE: 'expiresAt',
        DELIVERED_RETENTION_SECONDS: '604800',
      }),
    ).toEqual({
      outboxTable: 'outbox',
      failureQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/failures',
      signingSecretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:signing',
      signingSecret: undefined,
      maxAttempts: 5,
      retryWindowMs: 900_000,
      deliveredExpiry: { attribute: 'expiresAt', seconds: 604800 },
    });
  });

  it('retries for five minutes by default, with no cap on attempts inside that window', () => {
    expect(readPublisherConfig({ OUTBOX_TABLE: 'outbox' })).toMatchObject({
      maxAttempts: undefined,
      retryWindowMs: 300_000,
    });
  });

  it('names every problem at once', () => {
    expect(() =>
      readPublisherConfig({
        FAILURE_QUEUE_URL: 'failures',
        PUBLISH_MAX_ATTEMPTS: '0',
        PUBLISH_RETRY_WINDOW_SECONDS: 'soon',
        OUTBOX_TTL_ATTRIBUTE: 'expiresAt',
        DELIVERED_RETENTION_SECONDS: 'a week',
      }),
    ).toThrow(
      /OUTBOX_TABLE is not set[\s\S]*FAILURE_QUEUE_URL must be a queue URL[\s\S]*PUBLISH_MAX_ATTEMPTS[\s\S]*PUBLISH_RETRY_WINDOW_SECONDS[\s\S]*DELIVERED_RETENTION_SECONDS/,
    );
  });

  it('fails the cold start of the deployed handler on a signing secret that is not a Standard Webhooks secret', async () => {
    vi.stubEnv('OUTBOX_TABLE', 'outbox');
    vi.stubEnv('WEBHOOK_SIGNING_SECRET', 'not base64 at all!');
    await expect(import('../../../functions/publisher/handler.js')).rejects.toThrow(/whsec_/);
  });

  it('is a ConfigError', () => {
    expect(() => readPublisherConfig({})).toThrow(ConfigError);
  });
});
