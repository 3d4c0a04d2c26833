import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../local/sign.js';
import type { LocalStack } from '../../local/stack.js';
import { runCommand, runCommandAsync, startCommand, TXONCE_CLI, tsNode } from '../support/processes.js';
import { eventually } from '../support/sqs.js';
import { synthesizeStack } from '../support/template.js';

const stateFile = join(mkdtempSync(join(tmpdir(), 'txonce-start-')), 'local.json');
let started: ReturnType<typeof startCommand>;
let stack: LocalStack;
let dynamo: DynamoDBDocumentClient;

beforeAll(async () => {
  // npm start runs the template of an existing cloud assembly when TXONCE_CDK_OUT names one
  started = startCommand('npm', ['start'], {
    PORT: '0',
    TXONCE_STATE_FILE: stateFile,
    TXONCE_CDK_OUT: synthesizeStack(),
  });
  await eventually(
    'npm start reports ready',
    async () => started.output().includes('txonce local stack ready'),
    60_000,
  );
  stack = JSON.parse(readFileSync(stateFile, 'utf8'));
  dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: stack.dynamoEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    }),
  );
}, 90_000);

afterAll(async () => {
  try {
    started?.interrupt('SIGKILL');
  } catch {
    // already gone
  }
});

const customerTotal = async (customerId: string) =>
  (
    await dynamo.send(
      new GetCommand({ TableName: stack.resources.customersTable, Key: { pk: customerId }, ConsistentRead: true }),
    )
  ).Item?.paidTotal;

describe('npm start', () => {
  it('takes signed webhooks over HTTP and applies each event once, however often it is sent', async () => {
    const body = JSON.stringify({
      type: 'invoice.paid',
      data: { invoiceId: 'inv_start_1', customerId: 'cus_start', amount: 4200, currency: 'EUR' },
    });
    for (let copy = 0; copy < 3; copy++) {
      const response = await fetch(stack.webhookUrl, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          ...signWebhook(stack.scheme, stack.secret, 'msg_start_1', body),
        },
      });
      expect(response.status).toBe(202);
    }
    const forged = await fetch(stack.webhookUrl, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        ...signWebhook(stack.scheme, 'whsec_Zm9yZ2VkIHNlY3JldCE=', 'msg_start_2', body),
      },
    });
    expect(forged.status).toBe(401);

    await eventually('the event is committed', async () => (await customerTotal('cus_start')) === 4200);
    await eventually(
      'the duplicates are logged',
      async () => started.output().split('duplicate      msg_start_1').length === 3,
    );
    expect(await customerTotal('cus_start')).toBe(4200);
    expect(started.output()).toMatch(/accepted\s+msg_start_1/);
    expect(started.output()).toMatch(/committed\s+msg_start_1\s+cus_start \+4200/);
    expect(started.output()).toMatch(/rejected 401\s+bad-signature/);
  });

  it("prints moto server's own endpoint, and the SQS endpoint that journals before it", async () => {
    const moto = started.output().match(/moto server\s+(http:\/\/127\.0\.0\.1:\d+)/)?.[1];
    expect(moto).toBeDefined();
    expect((await fetch(`${moto}/moto-api/`)).ok).toBe(true);
    expect(started.output()).toMatch(new RegExp(`SQS endpoint\\s+${stack.sqsEndpoint}`));
    expect(moto).not.toBe(stack.sqsEndpoint);
  });

  it('prints a curl example that works when pasted into a shell', async () => {
    const snippet = started
      .output()
      .slice(started.output().indexOf("URL='"), started.output().indexOf('\nThen: '))
      .trim();
    const printed = execFileSync('bash', ['-c', snippet], { encoding: 'utf8' });
    expect(printed).toMatch(/\{"id":"msg_\d+"\} 202/);
    await eventually('the pasted event is committed', async () => ((await customerTotal('cus_1')) ?? 0) >= 1250);
  });

  it('lets the CLI inspect what it committed, using the running stack without flags', async () => {
    const body = JSON.stringify({
      type: 'invoice.paid',
      data: { invoiceId: 'inv_inspect', customerId: 'cus_inspect', amount: 4200, currency: 'EUR' },
    });
    const response = await fetch(stack.webhookUrl, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...signWebhook(stack.scheme, stack.secret, 'msg_inspect', body) },
    });
    expect(response.status).toBe(202);
    await eventually('the event is committed', async () => (await customerTotal('cus_inspect')) === 4200);
    const result = runCommand([...TXONCE_CLI, 'inspect', stack.source, 'msg_inspect'], {
      TXONCE_STATE_FILE: stateFile,
    });
    expect(result.status, result.stderr).toBe(0);
    const record = JSON.parse(result.stdout);
    expect(record).toMatchObject({
      recordKey: `${stack.source}#msg_inspect`,
      found: true,
      expiresAt: 'never (durable)',
    });
    expect(record.result).toMatchObject({ applied: 'invoice.paid', customerId: 'cus_inspect', amount: 4200 });
  });

  it('runs the demo against it twice; each run counts only what it sent (one poison message each)', async () => {
    for (let run = 0; run < 2; run++) {
      const result = await runCommandAsync(
        [...tsNode('local/demo.ts'), '--events', '20'],
        { TXONCE_STATE_FILE: stateFile },
        120_000,
      );
      expect(result.status, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('Using the running local stack');
      expect(result.stdout).toMatch(/sent\s+20\n/);
      expect(result.stdout).toMatch(/rejected \(401, bad signature\)\s+2\n/);
      expect(result.stdout).toMatch(/dead-lettered \(poison\)\s+1\n/);
      expect(result.stdout).toContain('OK: every customer');
    }
  }, 240_000);
});
