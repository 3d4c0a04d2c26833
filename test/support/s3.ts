import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { ingestS3Client } from '../../functions/ingest/archive.js';
import type { ArchivedWebhook } from '../../lib/webhooks/archive-layout.js';

/** moto's S3 (the same server as SQS), path-style as every local endpoint needs. */
export function localS3(): S3Client {
  return new S3Client({
    endpoint: inject('sqsEndpoint'),
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

export async function createBucket(s3: S3Client): Promise<string> {
  const bucket = `archive-${randomUUID().slice(0, 8)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/**
 * S3 fails every request of `operation` (e.g. "PutObject") while `failing()` is true, as an
 * outage does: a middleware at the end of the stack answers with a 503 error, nothing is sent.
 */
export function s3Outage(s3: S3Client, operation: string, failing: () => boolean = () => true): { calls: number } {
  const seen = { calls: 0 };
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== `${operation}Command` || !failing()) return next(args);
      seen.calls++;
      throw Object.assign(new Error('We encountered an internal error. Please try again.'), {
        name: 'InternalError',
        $metadata: { httpStatusCode: 500 },
        $fault: 'server',
      });
    },
    { step: 'finalizeRequest', name: 'testS3Outage', priority: 'low' },
  );
  return seen;
}

/** What the archive holds for one source: every object under "<source>/", read as the ingest wrote it. */
export async function readArchive(s3: S3Client, bucket: string, source: string): Promise<ArchivedWebhook[]> {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${source}/` }));
  return Promise.all(
    Contents.map(async ({ Key }) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      return JSON.parse(await (object.Body?.transformToString() ?? '')) as ArchivedWebhook;
    }),
  );
}

/** The ingest's own S3 client (its short timeouts) on moto, whose PutObject fails while `failing()` is true. */
export function failingIngestS3(failing: () => boolean): S3Client {
  const s3 = ingestS3Client({
    endpoint: inject('sqsEndpoint'),
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  s3Outage(s3, 'PutObject', failing);
  return s3;
}
