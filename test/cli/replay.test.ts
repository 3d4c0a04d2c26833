import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayOptions, replayArchive } from '../../cli/replay.js';
import { createConsumer } from '../../functions/consumer/consumer.js';
import { s3ArchiveWriter } from '../../functions/ingest/archive.js';
import { createIngest } from '../../functions/ingest/ingest.js';
import { Idempotency } from '../../lib/index.js';
import { ARCHIVE_FORMAT, type ArchivedWebhook, archiveObjectKey } from '../../lib/webhooks/archive-layout.js';
import { type RunningGateway, startHttpGateway } from '../../local/http-gateway.js';
import { SqsPoller } from '../../local/sqs-poller.js';
import { createTable, localClient, scanAll } from '../support/dynamo.js';
import { createBucket, localS3 } from '../support/s3.js';
import { createQueues, eventually, localSqs, purgeQueue, queueDepth } from '../support/sqs.js';
import { signStandardWebhooks, standardWebhooksSecret } from '../support/webhook-signers.js';

// Archive and replay through real parts: the ingest archives to moto S3 and queues to moto SQS,
// the example consumer applies invoices in DynamoDB Local, and replayArchive (what `txonce replay`
// runs) puts a time range back on the queue under the original keys.

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const dynamo = localClient();
const sqs = localSqs();
const s3 = localS3();
const secret = standardWebhooksSecret();
const silent = new Logger({ serviceName: 'replay-test', logLevel: 'SILENT' });
let gateway: RunningGateway;
let bucket: string;
let queueUrl: string;
let dedupTable: string;
let invoicesTable: string;
let customersTable: string;
let poller: SqsPoller | undefined;

beforeAll(async () => {
  [dedupTable, invoicesTable, customersTable] = await Promise.all(
    ['dedup', 'invoices', 'customers'].map((name) => createTable(dynamo, name)),
  );
  bucket = await createBucket(s3);
  queueUrl = (await createQueues(sqs)).queueUrl;
  gateway = await startHttpGateway({
    routes: [
      {
        method: 'POST',
        path: '/webhooks',
        handler: createIngest({
          scheme: 'standard-webhooks',
          source: 'billing',
          secrets: secret,
          sqs,
          queueUrl,
          maxBodyBytes: 4096,
          logger: silent,
          archive: s3ArchiveWriter(bucket, s3),
        }),
      },
    ],
  });
});

afterAll(async () => {
  await poller?.stop();
  await gateway?.stop();
});

/** The example consumer, polling the queue (Lambda's event source mapping, locally). */
async function consumerUp(
  queue = queueUrl,
  tables = { dedupTable, invoicesTable, customersTable },
  source = 'billing',
) {
  const handler = createConsumer({
    store: new Idempotency({ client: dynamo, tableName: tables.dedupTable, source }),
    tables: { invoicesTable: tables.invoicesTable, customersTable: tables.customersTable },
    logger: silent,
    metrics: new Metrics({ namespace: 'test', serviceName: 'test', singleMetric: false }),
  });
  const started = new SqsPoller({ client: sqs, queueUrl: queue, handler, waitTimeSeconds: 0 });
  await started.start();
  return started;
}

interface Invoice {
  id: string;
  customer: string;
  amount: number;
}

async function send(invoice: Invoice): Promise<void> {
  const body = JSON.stringify({
    type: 'invoice.paid',
    data: { invoiceId: `inv_${invoice.id}`, customerId: invoice.customer, amount: invoice.amount, currency: 'EUR' },
  });
  const response = await fetch(`${gateway.url}/webhooks`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...signStandardWebhooks(secret, invoice.id, body) },
  });
  await response.arrayBuffer();
  expect(response.status).toBe(202);
}

function invoices(prefix: string, count: number): Invoice[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `${prefix}_${index}`,
    customer: `cus_${prefix}_${index % 3}`,
    amount: 100 + index,
  }));
}

/** Each customer's paid total and invoice count must be exactly what these invoices make. */
async function expectExactlyOnce(all: Invoice[], tables = { invoicesTable, customersTable }) {
  const expected = new Map<string, { paidTotal: number; invoiceCount: number }>();
  for (const invoice of all) {
    const totals = expected.get(invoice.customer) ?? { paidTotal: 0, invoiceCount: 0 };
    expected.set(invoice.customer, {
      paidTotal: totals.paidTotal + invoice.amount,
      invoiceCount: totals.invoiceCount + 1,
    });
  }
  const customers = await scanAll(dynamo, tables.customersTable);
  const ours = customers.filter((item) => expected.has(String(item.pk)));
  expect(
    Object.fromEntries(ours.map((item) => [item.pk, { paidTotal: item.paidTotal, invoiceCount: item.invoiceCount }])),
  ).toEqual(Object.fromEntries(expected));
  const invoiceIds = new Set(all.map((invoice) => `inv_${invoice.id}`));
  expect((await scanAll(dynamo, tables.invoicesTable)).filter((item) => invoiceIds.has(String(item.pk)))).toHaveLength(
    all.length,
  );
}

const replay = (from: Date, to: Date, options: Partial<ReplayOptions> = {}) =>
  replayArchive({
    s3,
    sqs,
    bucket,
    source: 'billing',
    from,
    to,
    queueUrl,
    dynamo,
    dedupTable,
    secrets: [secret],
    watchSeconds: 30,
    ...options,
  });

const applied = async () => (await scanAll(dynamo, dedupTable)).length;

describe('replay of an archived window', () => {
  const before = invoices('before', 6);
  const during = invoices('outage', 9);
  let from: Date;
  let to: Date;

  it('after a consumer outage whose messages expired: every event of the window applied exactly once', async () => {
    from = new Date();
    poller = await consumerUp();
    for (const invoice of before) await send(invoice);
    await eventually('the events before the outage are applied', async () => (await applied()) === before.length);

    // the outage: nothing consumes; what was queued then is gone (expired from the DLQ after 14 days)
    await poller.stop();
    for (const invoice of during) await send(invoice);
    await send(during[0]); // the sender retried one: archived twice, one event
    await purgeQueue(sqs, queueUrl);
    to = new Date(Date.now() + 1);
    await send({ id: 'after_window', customer: 'cus_after', amount: 1 }); // outside the window
    await purgeQueue(sqs, queueUrl);
    expect(await applied()).toBe(before.length);

    poller = await consumerUp();
    const report = await replay(from, to);

    expect(report).toMatchObject({
      found: before.length + during.length + 1,
      events: before.length + during.length,
      enqueued: before.length + during.length,
      alreadyApplied: before.length,
      appliedByReplay: during.length,
      notApplied: 0,
      failed: [],
      interrupted: false,
    });
    await expectExactlyOnce([...before, ...during]);
  });

  it('a second replay of the applied window doubles nothing: every event counted as already applied', async () => {
    const report = await replay(from, to);

    expect(report).toMatchObject({
      events: before.length + during.length,
      enqueued: before.length + during.length,
      alreadyApplied: before.length + during.length,
      appliedByReplay: 0,
      notApplied: 0,
      failed: [],
    });
    await eventually('the replayed copies are consumed', async () => (await queueDepth(sqs, queueUrl)) === 0);
    await expectExactlyOnce([...before, ...during]);
  });

  it('--dry-run counts, reads and verifies, and enqueues nothing', async () => {
    await poller?.stop();
    const report = await replay(from, to, { dryRun: true });
    expect(report).toMatchObject({ events: 15, enqueued: 0, alreadyApplied: 15, failed: [], dryRun: true });
    expect(await queueDepth(sqs, queueUrl)).toBe(0);
  });

  it('verifies again: a secret rotated away, or an edited object, is not enqueued; --trust-archive takes the recorded verdict', async () => {
    const rotated = await replay(from, to, { secrets: [standardWebhooksSecret()], dryRun: true });
    expect(rotated.events).toBe(0);
    expect(rotated.failed).toHaveLength(16);
    expect(rotated.failed[0].why).toMatch(/^not verified again: /);
    const trusted = await replay(from, to, { secrets: undefined, trustArchive: true, dryRun: true });
    expect(trusted).toMatchObject({ events: 15, failed: [] });

    // someone edits an archived body: its signature no longer matches
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'billing/' }));
    const objectKey = Contents[0].Key as string;
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }));
    const entry = JSON.parse((await object.Body?.transformToString()) ?? '');
    const edited = { ...entry, body: entry.body.replace(/"amount":\d+/, '"amount":999999') };
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: JSON.stringify(edited) }));
    const report = await replay(from, to, { dryRun: true });
    expect(report.failed).toEqual([
      { objectKey, key: entry.key, why: expect.stringMatching(/^not verified again: .*signature/i) },
    ]);
  });

  it('--into another queue under another namespace: a backfill applies every event once in the new consumer', async () => {
    const backfill = {
      dedupTable: await createTable(dynamo, 'dedup-v2'),
      invoicesTable: await createTable(dynamo, 'invoices-v2'),
      customersTable: await createTable(dynamo, 'customers-v2'),
    };
    const { queueUrl: into } = await createQueues(sqs);
    const newConsumer = await consumerUp(into, backfill, 'billing-v2');
    try {
      const report = await replay(from, to, {
        queueUrl: into,
        namespace: 'billing-v2',
        dedupTable: backfill.dedupTable,
        trustArchive: true, // one object was edited above; the recorded verdict enqueues it (edited)
      });
      expect(report).toMatchObject({ events: 15, enqueued: 15, alreadyApplied: 0, appliedByReplay: 15, notApplied: 0 });
    } finally {
      await newConsumer.stop();
    }
  });
});

/** Archives one event as the ingest would have on `receivedAt` (signed then); its one-second window. */
async function archivedAt(key: string, receivedAt: Date): Promise<[Date, Date]> {
  const body = JSON.stringify({
    type: 'invoice.paid',
    data: { invoiceId: `inv_${key}`, customerId: 'cus_old', amount: 1 },
  });
  const entry: ArchivedWebhook = {
    format: ARCHIVE_FORMAT,
    source: 'billing',
    scheme: 'standard-webhooks',
    key,
    receivedAt: receivedAt.toISOString(),
    messageGroupId: `billing:event:${key}`,
    headers: signStandardWebhooks(secret, key, body, receivedAt),
    body,
    verdict: { verified: true, signedAt: receivedAt.toISOString() },
  };
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: archiveObjectKey('billing', key, receivedAt),
      Body: JSON.stringify(entry),
    }),
  );
  return [new Date(receivedAt.getTime() - 500), new Date(receivedAt.getTime() + 500)];
}

describe('an old event, and a queue that refuses', () => {
  it('an event archived 30 days ago still verifies: its timestamp is judged as of when it was received', async () => {
    const [from, to] = await archivedAt('msg_old', new Date(Date.now() - 30 * 86_400_000));

    const report = await replay(from, to, { dryRun: true });

    expect(report).toMatchObject({ found: 1, events: 1, failed: [] });
  });

  it('a SendMessage that fails is counted as failed, with the key and why, and nothing is counted as enqueued', async () => {
    const [from, to] = await archivedAt('msg_refused', new Date(Date.now() - 40 * 86_400_000));
    const refusing = localSqs();
    refusing.middlewareStack.add(
      () => async () => {
        throw Object.assign(new Error('Access to the resource is denied.'), { name: 'AccessDenied' });
      },
      { step: 'finalizeRequest', name: 'refuseEverything' },
    );

    const report = await replay(from, to, { sqs: refusing, watchSeconds: 0 });

    expect(report).toMatchObject({ found: 1, events: 1, enqueued: 0, alreadyApplied: 0 });
    expect(report.failed).toEqual([
      {
        objectKey: archiveObjectKey('billing', 'msg_refused', new Date(from.getTime() + 500)),
        key: 'msg_refused',
        why: 'not enqueued: Access to the resource is denied.',
      },
    ]);
  });
});
