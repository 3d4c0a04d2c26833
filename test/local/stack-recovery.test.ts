import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, type PipelineEvent, startLocalStack } from '../../local/stack.js';
import { sendInvoice } from '../support/local-stack.js';
import { isAlive, startCommand } from '../support/processes.js';
import { eventually } from '../support/sqs.js';
import { synthesizeStack } from '../support/template.js';

const stacks: LocalStack[] = [];
let cdkOut: string;
beforeAll(() => {
  cdkOut = synthesizeStack();
});
afterAll(async () => {
  for (const stack of stacks) await stack.stop();
});

function documents(stack: LocalStack) {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: stack.dynamoEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    }),
  );
}

async function paidTotal(stack: LocalStack, customerId: string): Promise<number | undefined> {
  const { Item } = await documents(stack).send(
    new GetCommand({ TableName: stack.resources.customersTable, Key: { pk: customerId }, ConsistentRead: true }),
  );
  return Item?.paidTotal;
}

async function receipts(stack: LocalStack, invoiceId: string): Promise<number | undefined> {
  const { Item } = await documents(stack).send(
    new GetCommand({ TableName: stack.resources.receiptsTable, Key: { pk: invoiceId }, ConsistentRead: true }),
  );
  return Item?.receipts;
}

describe('a local stack that loses no accepted event', () => {
  it('re-delivers on restart what it answered 202 for but had not applied, and applies each once', async () => {
    const dataPath = mkdtempSync(join(tmpdir(), 'txonce-data-'));
    const secret = 'whsec_dGhlIHNhbWUgc2VjcmV0IGJvdGggdGltZXM=';
    // accepts and queues, but applies nothing: what moto held when the stack died
    const first = await startLocalStack({ cdkOut, port: 0, dataPath, secret, consume: false });
    for (let index = 0; index < 4; index++)
      expect(await sendInvoice(first, `msg_restart_${index}`, 'cus_restart', 100)).toBe(202);
    expect(await sendInvoice(first, 'msg_restart_0', 'cus_restart', 100)).toBe(202); // a resend
    await first.stop(); // moto's queues are gone with it

    const events: PipelineEvent[] = [];
    const second = await startLocalStack({ cdkOut, port: 0, dataPath, secret, onEvent: (event) => events.push(event) });
    stacks.push(second);
    expect(second.replayed).toEqual({ replayed: 4, committed: 0, torn: 0, deadLettered: 0, restored: 0 });
    await eventually(
      'the four invoices are applied',
      async () => (await paidTotal(second, 'cus_restart')) === 400,
      30_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await paidTotal(second, 'cus_restart')).toBe(400);
  }, 120_000);
});

describe('supervision', () => {
  it.each([
    ['moto server', 1],
    ['DynamoDB Local', 0],
  ])(
    'notices a killed %s, says so, restarts it with what it held, and applies webhooks again',
    async (name, index) => {
      const events: PipelineEvent[] = [];
      const dataPath = mkdtempSync(join(tmpdir(), 'txonce-data-'));
      const stack = await startLocalStack({
        cdkOut,
        port: 0,
        dataPath,
        healthCheckIntervalMs: 500,
        onEvent: (event) => events.push(event),
      });
      stacks.push(stack);
      const notices = () =>
        events.flatMap((event) => (event.stage === 'supervisor' ? [`${event.level}: ${event.message}`] : []));
      const killed = stack.pids[index];

      process.kill(killed, 'SIGKILL');

      await eventually('the stack says it died', async () =>
        notices().some((notice) => notice.startsWith(`error: ${name} was killed by SIGKILL. Restarting it`)),
      );
      await eventually(
        'it is back',
        async () => notices().some((notice) => notice.startsWith(`info: ${name} is back`)),
        30_000,
      );
      expect(notices().filter((notice) => notice.startsWith('error:'))).toHaveLength(1);
      expect(stack.pids[index]).not.toBe(killed);
      const customer = `cus_after_${index}`;
      expect(await sendInvoice(stack, `msg_after_restart_${index}`, customer, 70)).toBe(202);
      await eventually('the webhook is applied', async () => (await paidTotal(stack, customer)) === 70);
      await eventually(
        'its receipt reaches the receiver',
        async () => (await receipts(stack, `inv_msg_after_restart_${index}`)) === 1,
      );
    },
    90_000,
  );
});

describe('npm start, however it dies', () => {
  it('leaves no emulator and no temporary folder behind after a SIGKILL of its own process', async () => {
    // its own TMPDIR, so the synthesized assembly and the journal's folder can be looked for
    const temporary = mkdtempSync(join(tmpdir(), 'txonce-kill-'));
    const stateFile = join(temporary, 'local.json');
    const started = startCommand('npm', ['start'], { PORT: '0', TXONCE_STATE_FILE: stateFile, TMPDIR: temporary });
    const leftBehind = () => readdirSync(temporary).filter((name) => name.startsWith('txonce-'));
    try {
      await eventually('npm start is ready', async () => started.output().includes('txonce local stack ready'), 90_000);
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { pid: number; pids: number[] };
      expect(state.pids.every(isAlive)).toBe(true);
      expect(leftBehind()).toEqual(expect.arrayContaining([expect.stringMatching(/^txonce-cdk-out-/)]));

      process.kill(state.pid, 'SIGKILL');

      await eventually('DynamoDB Local and moto are gone', async () => !state.pids.some(isAlive), 15_000);
      await eventually('its temporary folders are removed', async () => leftBehind().length === 0, 15_000);
    } finally {
      try {
        started.interrupt('SIGKILL');
      } catch {
        // npm ended with the stack
      }
    }
  }, 150_000);

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'stops every process it started on a %s to the pid of npm (`kill <npm pid>`)',
    async (signal) => {
      const stateFile = join(mkdtempSync(join(tmpdir(), 'txonce-npm-')), 'local.json');
      const started = startCommand('npm', ['start'], {
        PORT: '0',
        TXONCE_STATE_FILE: stateFile,
        TXONCE_CDK_OUT: cdkOut,
      });
      try {
        await eventually(
          'npm start is ready',
          async () => started.output().includes('txonce local stack ready'),
          60_000,
        );
        const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { pid: number; pids: number[] };
        const stackProcesses = [state.pid, ...state.pids];
        expect(stackProcesses.every(isAlive)).toBe(true);

        process.kill(started.child.pid as number, signal);

        await eventually(
          'the stack, DynamoDB Local and moto have exited',
          async () => !stackProcesses.some(isAlive),
          20_000,
        );
        await eventually('the state file is removed', async () => !existsSync(stateFile), 5_000);
        // its last line is written just after the state file goes: it may still be on its way through npm's pipe
        await eventually('it says it stopped', async () => started.output().includes('stopped.'), 5_000);
      } finally {
        try {
          started.interrupt('SIGKILL');
        } catch {
          // the group is gone
        }
      }
    },
    90_000,
  );

  it('stops every process it started on a SIGTERM to its own process (not the group, as `kill <pid>` does)', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'txonce-term-')), 'local.json');
    const started = startCommand('npm', ['start'], { PORT: '0', TXONCE_STATE_FILE: stateFile, TXONCE_CDK_OUT: cdkOut });
    await eventually('npm start is ready', async () => started.output().includes('txonce local stack ready'), 60_000);
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { pid: number; pids: number[] };
    expect(state.pids.length).toBe(2);
    expect(state.pids.every(isAlive)).toBe(true);
    process.kill(state.pid, 'SIGTERM');
    await started.exited(); // tsx and npm end once the stack has
    await eventually('DynamoDB Local and moto have exited', async () => !state.pids.some(isAlive), 15_000);
    await eventually('the state file is removed', async () => !existsSync(stateFile), 15_000);
    expect(started.output()).toContain('stopped.');
  }, 90_000);
});
