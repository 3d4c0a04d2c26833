import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readStartSettings } from '../../local/settings.js';
import { readStateFile } from '../../ops/state-file.js';
import { runCommandAsync, tsNode } from '../support/processes.js';

const scratch = mkdtempSync(join(tmpdir(), 'txonce-settings-'));
const noStack = { TXONCE_STATE_FILE: join(scratch, 'none.json') };
const noStackTrace = /\n\s+at .+:\d+:\d+/;

describe('npm start settings', () => {
  it('names every bad setting in one sentence', () => {
    expect(() =>
      readStartSettings({ PORT: 'abc', WEBHOOK_SCHEME: 'foo', SQS_PORT: '70000', TXONCE_VISIBILITY_TIMEOUT: '-1' }),
    ).toThrow(
      'npm start: PORT must be a port number from 0 to 65535, got "abc"; SQS_PORT must be a port number from 1 to 65535, got "70000"; WEBHOOK_SCHEME must be one of standard-webhooks, stripe, github, got "foo"; TXONCE_VISIBILITY_TIMEOUT must be whole seconds from 0 to 43200, got "-1".',
    );
  });

  it('takes a relative TXONCE_DATA_DIR from where npm start was typed, and creates it', () => {
    const settings = readStartSettings({ TXONCE_DATA_DIR: 'data/here', INIT_CWD: scratch });
    expect(settings.dataPath).toBe(join(scratch, 'data/here'));
  });

  it('enforces IAM unless TXONCE_IAM=off, reports with TXONCE_IAM=report, and names any other value', () => {
    expect(readStartSettings({}).iam).toBe('enforce');
    expect(readStartSettings({ TXONCE_IAM: 'off' }).iam).toBe('off');
    expect(readStartSettings({ TXONCE_IAM: 'report' }).iam).toBe('report');
    expect(() => readStartSettings({ TXONCE_IAM: 'maybe' })).toThrow(
      'npm start: TXONCE_IAM must be enforce (the default: calls the role does not allow fail as on AWS), report (enforce, and print the grants no call used when the stack stops) or off (calls are only recorded), got "maybe".',
    );
  });

  it('refuses a secret the scheme cannot use', () => {
    expect(() => readStartSettings({ WEBHOOK_SECRET: 'not base64!' })).toThrow(/WEBHOOK_SECRET cannot be used/);
  });

  it('tells a stale state file (its stack is gone) from a live one', () => {
    const file = join(scratch, 'stale.json');
    writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 7, webhookUrl: 'http://127.0.0.1:1/webhooks' }));
    expect(readStateFile(file)).toMatchObject({ problem: expect.stringContaining('no longer running') });
    writeFileSync(file, JSON.stringify({ pid: process.pid }));
    expect(readStateFile(file)).toMatchObject({ state: { pid: process.pid } });
    writeFileSync(file, '{"pid": 1');
    expect(readStateFile(file).problem).toMatch(/not valid JSON/);
  });
});

describe('bad settings and arguments end in one sentence and a non-zero exit', () => {
  let busy: Server;
  afterAll(() => busy?.close());

  it('npm start with bad settings', async () => {
    const result = await runCommandAsync(tsNode('local/start.ts'), { ...noStack, PORT: 'abc', WEBHOOK_SCHEME: 'foo' });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(/^npm start: PORT must be .*WEBHOOK_SCHEME must be one of .*\.$/);
    expect(result.stderr).not.toMatch(noStackTrace);
  });

  it('npm start on a port that already answers names the fix instead of attaching to it', async () => {
    busy = createServer(() => undefined);
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = String((busy.address() as { port: number }).port);
    const result = await runCommandAsync(tsNode('local/start.ts'), { ...noStack, PORT: '0', SQS_PORT: port });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(
      new RegExp(`^Port ${port} \\(SQS_PORT\\) already answers: .*lsof -i :${port}.* choose another SQS_PORT\\.$`),
    );
  });

  it('npm run demo with a bad --events, before starting anything', async () => {
    for (const events of ['abc', '0']) {
      const result = await runCommandAsync([...tsNode('local/demo.ts'), '--events', events], noStack);
      expect(result.status).toBe(2);
      expect(result.stderr.trim()).toMatch(
        /^error: option '--events <n>' argument '.*' is invalid\. expected a whole number of at least 5/,
      );
      expect(result.stdout).not.toContain('starting one');
    }
  });
});
