import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { webhookPresets } from '../../lib/index.js';
import { verifyScheme } from '../../lib/webhooks/schemes.js';
import { runCommandAsync, tsNode } from '../support/processes.js';

// `txonce send` before anything can be sent: no local stack here, or an argument it cannot use,
// is one sentence and exit status 2, never a stack trace. What it prints for a sent event is
// checked on a user's app in test/package/outside-app.test.ts.

const scratch = mkdtempSync(join(tmpdir(), 'txonce-send-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const send = (args: string[], stateFile: string) =>
  runCommandAsync([...tsNode('local/send.ts'), ...args], { TXONCE_STATE_FILE: stateFile });

describe('txonce send without a stack to send to', () => {
  it('says that no local stack runs here and how to start one', async () => {
    const result = await send([], join(scratch, 'none.json'));
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(
      `No local stack is running here (no ${join(scratch, 'none.json')}): start one with txonce local, in this folder.`,
    );
  });

  it('says when the stack that wrote the state file is gone', async () => {
    const stale = join(scratch, 'stale.json');
    writeFileSync(stale, JSON.stringify({ pid: 2 ** 22 + 11, webhookUrl: 'http://127.0.0.1:1/webhooks' }));
    const result = await send([], stale);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/names a local stack \(pid \d+\) that is no longer running/);
  });

  it('refuses a body that is not a JSON object', async () => {
    const result = await send(['--body', '[1,2]'], join(scratch, 'none.json'));
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(
      "error: option '--body <json>' argument '[1,2]' is invalid. expected a JSON object, quoted for the shell.",
    );
  });
});

describe('txonce send to a pipeline of several sources', () => {
  const secret = 'a local secret';
  const received: { path: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];
  const ingest = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'evt_sq_1' }));
    });
  });
  afterAll(() => new Promise((resolve) => ingest.close(resolve)));

  async function runningPipeline(): Promise<string> {
    await new Promise<void>((resolve) => ingest.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(ingest.address() as AddressInfo).port}`;
    const source = (name: 'stripe' | 'square') => ({
      name,
      scheme: name,
      definition: webhookPresets[name],
      path: `/webhooks/${name}`,
      url: `${base}/webhooks/${name}`,
      signedUrl: `https://example.test/local/webhooks/${name}`,
    });
    const stateFile = join(scratch, 'sources.json');
    writeFileSync(
      stateFile,
      JSON.stringify({
        pid: process.pid,
        webhookUrl: `${base}/webhooks/stripe`,
        scheme: 'stripe',
        source: 'stripe',
        secret,
        webhookSources: [source('stripe'), source('square')],
        dynamoEndpoint: 'http://127.0.0.1:1',
        journalFile: join(scratch, 'no-journal'),
        eventsFile: join(scratch, 'no-events'),
        resources: { dedupTable: 'dedup', queueUrl: 'queue' },
      }),
    );
    return stateFile;
  }

  it("posts to the source --source names, signed with that source's scheme over the URL it verifies", async () => {
    const stateFile = await runningPipeline();
    const result = await send(['--source', 'square', '--id', 'evt_sq_1', '--timeout', '0.5'], stateFile);
    expect(result.stdout).toContain('202 accepted (square: square, key evt_sq_1)');
    expect(received).toHaveLength(1);
    expect(received[0].path).toBe('/webhooks/square');
    const verified = verifyScheme('square', {
      headers: received[0].headers as Record<string, string>,
      rawBody: received[0].body,
      secrets: [secret],
      toleranceSeconds: undefined,
      nowSeconds: Date.now() / 1000,
      url: 'https://example.test/local/webhooks/square',
    });
    expect(verified.id).toBe('evt_sq_1');

    const unknown = await send(['--source', 'shopify'], stateFile);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim()).toBe(
      'The running pipeline has no source named shopify: its sources are stripe, square.',
    );
  });
});
