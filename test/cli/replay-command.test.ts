import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { s3ArchiveWriter } from '../../functions/ingest/archive.js';
import { runCommand, startCommand, TXONCE_CLI } from '../support/processes.js';
import { createBucket, localS3 } from '../support/s3.js';
import { createQueues, eventually, localSqs, queueDepth } from '../support/sqs.js';
import { signStandardWebhooks, standardWebhooksSecret } from '../support/webhook-signers.js';

// `txonce replay` as a user runs it against moto (no dedup table: the AWS form without --table).

const s3 = localS3();
const sqs = localSqs();
const secret = standardWebhooksSecret();
const EVENTS = 20;
const from = new Date(Date.now() - 60_000);
let bucket: string;
let queueUrl: string;

beforeAll(async () => {
  bucket = await createBucket(s3);
  queueUrl = (await createQueues(sqs)).queueUrl;
  const write = s3ArchiveWriter(bucket, s3);
  for (let index = 0; index < EVENTS; index++) {
    const body = JSON.stringify({ type: 'invoice.paid', data: { invoiceId: `inv_cli_${index}` } });
    await write({
      source: 'billing',
      scheme: 'standard-webhooks',
      key: `msg_cli_${index}`,
      receivedAt: new Date().toISOString(),
      messageGroupId: `billing:event:msg_cli_${index}`,
      headers: signStandardWebhooks(secret, `msg_cli_${index}`, body),
      body,
      verdict: { verified: true },
    });
  }
});

const args = (...more: string[]) => [
  ...TXONCE_CLI,
  '--endpoint',
  inject('sqsEndpoint'),
  'replay',
  '--source',
  'billing',
  '--from',
  from.toISOString(),
  '--bucket',
  bucket,
  '--queue',
  queueUrl,
  ...more,
];
const noState = { TXONCE_STATE_FILE: '/nonexistent/state.json' };

describe('txonce replay', () => {
  it('--dry-run reports what it found and verified, and says it could not count without a table', () => {
    const result = runCommand(args('--dry-run', '--secret', secret), noState);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^dry run: found 20 archived webhook\(s\) of billing from .*: 20 distinct event\(s\)$/m,
    );
    expect(result.stdout).toContain('already applied   not counted (no dedup table: pass --table)');
    expect(result.stdout).toMatch(/^failed\s+0$/m);
    expect(result.stderr).toMatch(/replay \(dry run\): 20\/20 archived webhooks/); // a plain line, not a bar, off a terminal
  });

  it('Ctrl-C stops after the current event: exit 130, what was enqueued stays, the report says so', async () => {
    const [program, ...rest] = args('--trust-archive', '--rate', '4');
    const run = startCommand(program, rest, { ...noState, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
    await eventually('the replay has started', async () => run.output().includes('replay: 0/20'), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    run.interrupt('SIGINT');

    expect(await run.exited()).toBe(130);
    const output = run.output();
    expect(output).toContain('stopping after the current event');
    expect(output).toContain('Interrupted: what was enqueued stays enqueued');
    const enqueued = Number(/^enqueued\s+(\d+)/m.exec(output)?.[1]);
    expect(enqueued).toBeGreaterThan(0);
    expect(enqueued).toBeLessThan(EVENTS);
    expect(await queueDepth(sqs, queueUrl)).toBe(enqueued);
  });

  it('refuses --into without --namespace, and saying why', () => {
    const result = runCommand(args('--into', queueUrl, '--trust-archive'), noState);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--into replays into another consumer: pass --namespace');
  });

  it('asks for the secret to verify with, or --trust-archive', () => {
    const result = runCommand(args(), noState);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'pass --secret-id (the stack output WebhookSecretArn) or --secret, or --trust-archive',
    );
  });

  it('asks which source, on a local pipeline of several, and refuses one it does not have', () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'replay-state-')), 'local.json');
    writeFileSync(
      stateFile,
      JSON.stringify({
        pid: process.pid, // alive: this test's own process
        dynamoEndpoint: inject('sqsEndpoint'),
        sqsEndpoint: inject('sqsEndpoint'),
        motoEndpoint: inject('sqsEndpoint'),
        source: 'stripe',
        webhookSources: [
          { name: 'stripe', scheme: 'stripe' },
          { name: 'github', scheme: 'github' },
        ],
        secret: 'whsec_local',
        resources: { dedupTable: 'd', outboxTable: '', queueUrl, deadLetterQueueUrl: queueUrl, archiveBucket: bucket },
      }),
    );
    const local = { TXONCE_STATE_FILE: stateFile };
    const unnamed = runCommand([...TXONCE_CLI, 'replay', '--from', from.toISOString(), '--dry-run'], local);
    expect(unnamed.status, unnamed.stderr).toBe(2);
    expect(unnamed.stderr).toContain(
      'The local pipeline has 2 webhook sources: pass --source with one of stripe, github',
    );
    const unknown = runCommand([...TXONCE_CLI, 'replay', '--source', 'shopify', '--from', '1h', '--dry-run'], local);
    expect(unknown.status, unknown.stderr).toBe(2);
    expect(unknown.stderr).toContain('The local pipeline has no webhook source "shopify"');
  });
});
