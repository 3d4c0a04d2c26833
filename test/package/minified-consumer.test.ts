import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Message } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { readDeadLetterReason } from '../../lib/index.js';
import { createTable, getItem, localClient } from '../support/dynamo.js';
import { repoRoot } from '../support/package.js';
import { createQueues, drainMessages, localSqs, type TestQueues } from '../support/sqs.js';
import { sqsEvent, sqsRecord } from '../support/sqs-events.js';

// The example consumer exactly as it ships and deploys: the minified bundle the package holds,
// run in a process of its own with its settings in the environment, as Lambda runs it.

const bundlePath = join(repoRoot, 'dist/functions/consumer/index.mjs');
const dynamo = localClient();
const sqs = localSqs();
let tables: { dedup: string; invoices: string; customers: string };
let queues: TestQueues;

beforeAll(async () => {
  tables = {
    dedup: await createTable(dynamo, 'dedup'),
    invoices: await createTable(dynamo, 'invoices'),
    customers: await createTable(dynamo, 'customers'),
  };
  queues = await createQueues(sqs);
});

/** Invokes the bundle's handler once in a fresh Node.js process; returns its answer and its log lines. */
function invokeBundle(event: unknown): { response: unknown; logs: Record<string, unknown>[] } {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundlePath).href)});
    const deadline = Date.now() + 30000;
    const context = { functionName: 'consumer', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:1:function:consumer',
      memoryLimitInMB: '512', getRemainingTimeInMillis: () => deadline - Date.now() };
    const response = await handler(JSON.parse(process.env.EVENT), context);
    console.log('RESPONSE ' + JSON.stringify(response));`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const result = spawnSync('node', ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...clean,
      EVENT: JSON.stringify(event),
      DEDUP_TABLE: tables.dedup,
      INVOICES_TABLE: tables.invoices,
      CUSTOMERS_TABLE: tables.customers,
      DLQ_URL: queues.dlqUrl,
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      AWS_ENDPOINT_URL_SQS: inject('sqsEndpoint'),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  expect(result.status, result.stderr).toBe(0);
  const lines = result.stdout.split('\n').filter(Boolean);
  const response = JSON.parse((lines.find((line) => line.startsWith('RESPONSE ')) ?? '').slice('RESPONSE '.length));
  // Powertools Logger writes errors and warnings to stderr, the rest to stdout
  const logs = [...lines, ...result.stderr.split('\n')]
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
  return { response, logs };
}

describe('the prebuilt consumer bundle (minified, as deployed)', () => {
  it('is minified: its classes lose their names, so error names must be written out', () => {
    const bundle = readFileSync(bundlePath, 'utf8');
    expect(bundle).not.toMatch(/class PermanentError\b/);
    expect(bundle.split('\n').length).toBeLessThan(20);
  });

  it('names a poison record\'s error "PermanentError" in the DLQ attributes and in its log line', async () => {
    const poison = sqsRecord('not json at all', { idempotencyKey: 'msg_poison' });
    const paid = sqsRecord(
      {
        type: 'invoice.paid',
        data: { invoiceId: 'inv_min', customerId: 'cus_min', amount: 700, currency: 'EUR' },
      },
      { idempotencyKey: 'msg_paid' },
    );
    const { response, logs } = invokeBundle(sqsEvent([poison, paid]));

    expect(response).toEqual({ batchItemFailures: [] }); // the poison went straight to the DLQ
    expect(await getItem(dynamo, tables.customers, 'cus_min')).toMatchObject({ paidTotal: 700 });
    const [deadLetter] = (await drainMessages(sqs, queues.dlqUrl)) as Message[];
    expect(readDeadLetterReason(deadLetter?.MessageAttributes)?.errorName).toBe('PermanentError');
    const logged = logs.find((line) => line.message === 'event dead-lettered');
    expect((logged?.error as { name?: string } | undefined)?.name).toBe('PermanentError');
  });
});
