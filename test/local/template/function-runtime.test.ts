import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeRuntimes } from '../../../local/node-runtimes.js';
import { type FunctionError, LocalFunction } from '../../../local/template/function-runtime.js';

// A bundle as Lambda runs it: module-level code runs once per environment (its pid and a counter
// tell environments apart); the handler reports the context or misbehaves as the event asks.
const bundleDir = mkdtempSync(join(tmpdir(), 'txonce-bundle-'));
writeFileSync(
  join(bundleDir, 'index.mjs'),
  `import { SQSClient } from '@aws-sdk/client-sqs'; // external, as in txonce's bundles: the runtime provides it
let invocations = 0;
export const handler = async (event, context) => {
  invocations++;
  if (event.crash) setTimeout(() => { throw new Error('boom'); });
  if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
  return { pid: process.pid, invocations, remaining: context.getRemainingTimeInMillis(),
    memory: context.memoryLimitInMB, setting: process.env.SETTING, sdk: typeof SQSClient, node: process.version };
};
`,
);

const fn = new LocalFunction(
  {
    logicalId: 'Probe',
    functionName: 'probe',
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:probe',
    bundleDir,
    handler: 'index.handler',
    timeoutSeconds: 2,
    memoryMb: 256,
    environment: { SETTING: 'from the template' },
  },
  { maxEnvironments: 1 },
);
afterAll(() => fn.stop());

describe('a local function runs as a Lambda execution environment', () => {
  it('keeps its module across invocations, with the timeout, memory and environment of its template', async () => {
    const first = (await fn.invoke({})) as Record<string, unknown>;
    const second = (await fn.invoke({})) as Record<string, unknown>;
    expect(second).toMatchObject({ pid: first.pid, invocations: 2, memory: '256', setting: 'from the template' });
    expect(first.sdk).toBe('function');
    expect(first.remaining).toBeGreaterThan(1500);
    expect(first.remaining).toBeLessThanOrEqual(2000);
  });

  it('ends the environment at the timeout, and the next invocation starts a new one', async () => {
    const before = (await fn.invoke({})) as { pid: number };
    const timedOut = fn.invoke({ sleepMs: 5000 });
    await expect(timedOut).rejects.toThrow('Task timed out after 2.00 seconds');
    await expect(timedOut).rejects.toMatchObject({ kind: 'timeout' } satisfies Partial<FunctionError>);
    const after = (await fn.invoke({})) as { pid: number; invocations: number };
    expect(after.pid).not.toBe(before.pid);
    expect(after.invocations).toBe(1); // a cold start: module state is new
  });

  it('fails the invocation when the process crashes, and recovers with a fresh environment', async () => {
    const crashed = fn.invoke({ crash: true, sleepMs: 500 });
    await expect(crashed).rejects.toMatchObject({ kind: 'crash', message: expect.stringContaining('boom') });
    expect(((await fn.invoke({})) as { invocations: number }).invocations).toBe(1);
  });

  it("runs on the Node.js binary of the template's runtime (execPath), not this machine's", async () => {
    const major = process.version.startsWith('v24.') ? 22 : 24;
    const runtime = nodeRuntimes([`nodejs${major}.x`]).get(`nodejs${major}.x`);
    expect(runtime?.warning).toBeUndefined();
    const onTemplateNode = new LocalFunction({ ...fn.spec, execPath: runtime?.execPath }, { maxEnvironments: 1 });
    try {
      expect(((await onTemplateNode.invoke({})) as { node: string }).node).toBe(`v${runtime?.version}`);
      expect(((await fn.invoke({})) as { node: string }).node).toBe(process.version);
    } finally {
      await onTemplateNode.stop();
    }
  }, 300_000);
});
