import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  ARCHIVE_FORMAT,
  type ArchivedWebhook,
  archiveKeyAt,
  archiveKeyTime,
  archiveSourcePrefix,
} from '../lib/webhooks/archive-layout.js';

// Reading the webhook archive (lib/webhooks/archive-layout.ts lays it out): what `txonce replay` lists and
// reads, kept apart from the CLI so the local stack and tests read it the same way.

/**
 * The object keys of one source's webhooks received from `from` (inclusive) to `to` (exclusive),
 * oldest first: one listing that starts at `from`'s key and stops past `to` (keys sort by time).
 */
export async function listArchiveRange(options: {
  s3: S3Client;
  bucket: string;
  source: string;
  from: Date;
  to: Date;
  signal?: AbortSignal;
}): Promise<string[]> {
  const { s3, bucket, source, from, to, signal } = options;
  const keys: string[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: archiveSourcePrefix(source),
        StartAfter: continuationToken ? undefined : archiveKeyAt(source, from),
        ContinuationToken: continuationToken,
      }),
      { abortSignal: signal },
    );
    for (const { Key } of page.Contents ?? []) {
      const time = Key ? archiveKeyTime(Key) : undefined;
      if (!Key || !time) continue; // not an archived webhook (something else put in the bucket)
      if (time >= to) return keys;
      if (time >= from) keys.push(Key);
    }
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
  return keys;
}

/** An object that is not an archived webhook of this format: said plainly, with its key. */
export class ArchiveObjectError extends Error {
  readonly retryable = false;
  constructor(
    readonly objectKey: string,
    why: string,
  ) {
    super(`${objectKey}: ${why}`);
    this.name = 'ArchiveObjectError';
  }
}

/** One archived webhook, checked to be of this format. */
export async function readArchived(s3: S3Client, bucket: string, objectKey: string): Promise<ArchivedWebhook> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }));
  const text = (await object.Body?.transformToString('utf8')) ?? '';
  let entry: Partial<ArchivedWebhook>;
  try {
    entry = JSON.parse(text);
  } catch {
    throw new ArchiveObjectError(objectKey, 'not JSON, so not an archived webhook');
  }
  if (entry.format !== ARCHIVE_FORMAT)
    throw new ArchiveObjectError(
      objectKey,
      `format ${JSON.stringify(entry.format)}, not ${ARCHIVE_FORMAT}: written by another txonce version; replay it with that version`,
    );
  for (const field of ['source', 'scheme', 'key', 'receivedAt', 'body', 'messageGroupId'] as const)
    if (typeof entry[field] !== 'string' || entry[field] === '')
      throw new ArchiveObjectError(objectKey, `its "${field}" is missing`);
  return entry as ArchivedWebhook;
}
