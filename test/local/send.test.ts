import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
