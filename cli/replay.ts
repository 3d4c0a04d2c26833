import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type SchemeSelector, verifyWebhookSignature } from '../lib/index.js';
import type { ArchivedWebhook } from '../lib/webhooks/archive-layout.js';
import { webhookMessageInput } from '../lib/webhooks/queued-message.js';
import { listArchiveRange, readArchived } from '../ops/archive-range.js';
import { appliedKeys } from './applied-keys.js';
import { queueCounts } from './redrive.js';

export interface ReplayOptions {
  s3: S3Client;
  sqs: SQSClient;
  bucket: string;
  /** the archived events' source */
  source: string;
  /** received at or after */
  from: Date;
  /** received before */
  to: Date;
  /** where to enqueue: the pipeline's queue, or another consumer's (a backfill) */
  queueUrl: string;
  /** the dedup table to count already applied events in; without it they are not counted */
  dynamo?: DynamoDBDocumentClient;
  dedupTable?: string;
  /** the dedup namespace of the consumer that will apply them. Default: the source */
  namespace?: string;
  /** the webhook secret(s) now: each event is verified again before it is enqueued */
  secrets?: string[];
  /** enqueue without verifying again, on the ingest's recorded verdict */
  trustArchive?: boolean;
  /** count, read and verify; enqueue nothing */
  dryRun?: boolean;
  /** events per second. Default: as fast as SQS takes them */
  rate?: number;
  /** after enqueueing, how long to wait for the queue to drain, to count what the consumer applied. Default 60; 0: do not wait */
  watchSeconds?: number;
  onProgress?: (done: number, total: number) => void;
  onWatch?: (seconds: number) => void;
  /** stops between two events; what was enqueued stays enqueued */
  signal?: AbortSignal;
}

export interface ReplayFailure {
  objectKey: string;
  key?: string;
  why: string;
}

export interface ReplayReport {
  /** archived objects in the range (an event delivered twice is kept twice) */
  found: number;
  /** distinct events (idempotency keys) among them: each is enqueued once */
  events: number;
  enqueued: number;
  /** events with a dedup record before the replay: the consumer absorbs them as duplicates (undefined: no table to look in) */
  alreadyApplied: number | undefined;
  /** after the watch: events that got their dedup record during the replay (applied by it) */
  appliedByReplay: number | undefined;
  /** after the watch: enqueued events still without a record (dead-lettered, or still queued when the watch ended) */
  notApplied: number | undefined;
  /** objects not read, events not verified, messages not enqueued */
  failed: ReplayFailure[];
  dryRun: boolean;
  interrupted: boolean;
}

/** Events read and verified at a time: one BatchGetItem of dedup records per chunk. */
const CHUNK = 100;

/**
 * Replays a source's archived webhooks from a time range: lists the range, reads each object,
 * verifies it again (its stored signature against the current secrets, as of the time it was
 * received), and enqueues each distinct event once under its original key, so an event already
 * applied is absorbed by its dedup record. Counts what was already applied before, and, after
 * a watch while the queue drains, what the replay applied and what it did not.
 */
export async function replayArchive(options: ReplayOptions): Promise<ReplayReport> {
  const { signal } = options;
  const namespace = options.namespace ?? options.source;
  const canCount = options.dynamo !== undefined && options.dedupTable !== undefined;
  const objectKeys = await listArchiveRange({ ...options, signal });
  const report: ReplayReport = {
    found: objectKeys.length,
    events: 0,
    enqueued: 0,
    alreadyApplied: canCount ? 0 : undefined,
    appliedByReplay: undefined,
    notApplied: undefined,
    failed: [],
    dryRun: options.dryRun ?? false,
    interrupted: false,
  };
  const seen = new Set<string>();
  const enqueuedNew: string[] = [];
  const pace = options.rate ? 1000 / options.rate : 0;
  let lastSend = 0;
  let done = 0;
  options.onProgress?.(0, objectKeys.length);

  for (let start = 0; start < objectKeys.length && !signal?.aborted; start += CHUNK) {
    const chunk = objectKeys.slice(start, start + CHUNK);
    const entries = await Promise.all(
      chunk.map(async (objectKey) => ({ objectKey, entry: await readVerified(objectKey, options, report.failed) })),
    );
    const fresh = entries.filter((read): read is { objectKey: string; entry: ArchivedWebhook } => {
      if (!read.entry || seen.has(read.entry.key)) return false;
      seen.add(read.entry.key);
      return true;
    });
    report.events += fresh.length;
    const applied = canCount
      ? await appliedKeys({
          dynamo: options.dynamo as DynamoDBDocumentClient,
          table: options.dedupTable as string,
          namespace,
          keys: fresh.map(({ entry }) => entry.key),
        })
      : new Set<string>();
    if (report.alreadyApplied !== undefined) report.alreadyApplied += applied.size;
    done += chunk.length - fresh.length;
    for (const { objectKey, entry } of fresh) {
      if (signal?.aborted) break;
      if (!report.dryRun) {
        if (pace) await sleep(Math.max(0, lastSend + pace - Date.now()));
        lastSend = Date.now();
        try {
          await options.sqs.send(new SendMessageCommand(webhookMessageInput(options.queueUrl, entry)));
          report.enqueued++;
          if (!applied.has(entry.key)) enqueuedNew.push(entry.key);
        } catch (error) {
          report.failed.push({ objectKey, key: entry.key, why: `not enqueued: ${(error as Error).message}` });
        }
      }
      options.onProgress?.(++done, objectKeys.length);
    }
  }
  report.interrupted = signal?.aborted ?? false;
  if (!report.dryRun && canCount && !report.interrupted) await countOutcomes(options, namespace, enqueuedNew, report);
  return report;
}

/** One archived event, verified again; undefined (and a failure noted) when it cannot be replayed. */
async function readVerified(
  objectKey: string,
  options: ReplayOptions,
  failed: ReplayFailure[],
): Promise<ArchivedWebhook | undefined> {
  let entry: ArchivedWebhook;
  try {
    entry = await readArchived(options.s3, options.bucket, objectKey);
  } catch (error) {
    failed.push({ objectKey, why: (error as Error).message });
    return undefined;
  }
  // the listing is of the source's prefix; an object that says otherwise was put there by hand
  if (entry.source !== options.source) {
    failed.push({ objectKey, key: entry.key, why: `archived for source "${entry.source}", not "${options.source}"` });
    return undefined;
  }
  if (options.trustArchive) return entry;
  try {
    // as of the time it was received: the signed timestamp was checked then, and a replay weeks
    // later must not fail the tolerance; the signature itself must still match a current secret
    // with the source's scheme as the ingest used it: a preset by name, or the definition the
    // object records; a scheme that signs the URL, with the URL the ingest verified against
    const webhook = verifyWebhookSignature({
      scheme: entry.schemeDefinition ?? (entry.scheme as SchemeSelector),
      secrets: options.secrets ?? [],
      headers: entry.headers,
      rawBody: entry.body,
      ...(entry.url ? { url: entry.url } : {}),
      now: new Date(entry.receivedAt),
    });
    if (webhook.id !== undefined && webhook.id !== entry.key)
      throw new Error(`its signed id is ${webhook.id}, not the archived key`);
    return entry;
  } catch (error) {
    failed.push({ objectKey, key: entry.key, why: `not verified again: ${(error as Error).message}` });
    return undefined;
  }
}

/** Waits for the queue to drain (at most the watch), then asks the dedup table what was applied. */
async function countOutcomes(options: ReplayOptions, namespace: string, keys: string[], report: ReplayReport) {
  const seconds = options.watchSeconds ?? 60;
  if (seconds > 0 && keys.length > 0) {
    options.onWatch?.(seconds);
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline && !options.signal?.aborted) {
      const { visible, inFlight } = await queueCounts(options.sqs, options.queueUrl);
      if (visible + inFlight === 0) break;
      await sleep(1000);
    }
  }
  const applied = await appliedKeys({
    dynamo: options.dynamo as DynamoDBDocumentClient,
    table: options.dedupTable as string,
    namespace,
    keys,
  });
  report.appliedByReplay = applied.size;
  report.notApplied = keys.length - applied.size;
}
