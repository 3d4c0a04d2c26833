import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';

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
