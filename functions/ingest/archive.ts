import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import {
  lowerCaseHeaders,
  requestUrl,
  resolveWebhookScheme,
  type SchemeSelector,
  type VerifiedWebhook,
} from '../../lib/index.js';
import {
  ARCHIVE_FORMAT,
  type ArchivedWebhook,
  archiveObjectKey,
  headersToKeep,
} from '../../lib/webhooks/archive-layout.js';
import type { WebhookMessage } from '../../lib/webhooks/queued-message.js';
import { INGEST_SQS_TIMEOUTS } from './sqs-client.js';

/** Keeps one accepted webhook; resolves when S3 has it, rejects when it could not be kept. */
export type ArchiveWriter = (webhook: Omit<ArchivedWebhook, 'format'>) => Promise<void>;

/**
 * The archive write: one encrypted object per accepted webhook (the bucket's default encryption),
 * laid out by source and time (lib/webhooks/archive-layout.ts). Same short limits as the SQS client: a
 * hung S3 must not hold the sender's request past the function's 10 s.
 */
export function s3ArchiveWriter(bucket: string, s3: S3Client = ingestS3Client()): ArchiveWriter {
  return async (webhook) => {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: archiveObjectKey(webhook.source, webhook.key, new Date(webhook.receivedAt)),
        Body: JSON.stringify({ format: ARCHIVE_FORMAT, ...webhook } satisfies ArchivedWebhook),
        ContentType: 'application/json',
      }),
    );
  };
}

/** The ingest's S3 client: short timeouts; path-style URLs when an endpoint is set (moto locally). */
export function ingestS3Client(config: S3ClientConfig = {}): S3Client {
  const localEndpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new S3Client({
    maxAttempts: INGEST_SQS_TIMEOUTS.maxAttempts,
    forcePathStyle: localEndpoint !== undefined,
    requestHandler: {
      connectionTimeout: INGEST_SQS_TIMEOUTS.connectionTimeoutMs,
      requestTimeout: INGEST_SQS_TIMEOUTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
    ...config,
  });
}

/**
 * What the archive keeps of one accepted webhook: the message, the headers its source's scheme
 * reads, the scheme itself when it is not a preset, the URL when the scheme signs it, and the verdict.
 */
export function archiveEntry(
  message: WebhookMessage,
  event: APIGatewayProxyEvent,
  verified: { scheme: SchemeSelector; url: string | undefined; webhook: VerifiedWebhook },
): Omit<ArchivedWebhook, 'format'> {
  const scheme = resolveWebhookScheme(verified.scheme);
  const signsUrl = scheme.signed.some((part) => 'value' in part && part.value === 'url');
  return {
    ...message,
    ...(typeof verified.scheme === 'object' ? { schemeDefinition: scheme } : {}),
    ...(signsUrl ? { url: verified.url ?? requestUrl(event) } : {}),
    headers: headersToKeep(scheme, lowerCaseHeaders(event.headers)),
    verdict: {
      verified: true,
      ...(verified.webhook.timestamp ? { signedAt: verified.webhook.timestamp.toISOString() } : {}),
    },
  };
}
