import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { recordKey } from '../../lib/index.js';
import { signWebhook } from '../../local/sign.js';
import { postWithRetries } from '../../local/webhook-sender.js';
import { npmStartSuite } from '../support/local-stack.js';
import { runCommandAsync, TXONCE_CLI } from '../support/processes.js';
import { eventually } from '../support/sqs.js';

// The "done when", on the local stack as `npm start` runs it: 300 distinct, validly
// signed invoice webhooks, then `txonce replay` of the whole window changes nothing and says all
// 300 were already applied; a simulated loss of 20 invoices (their effects and dedup records
// deleted by hand), replayed, is exact again. (The demo's realistic mix of forgeries, retries and
// a poison message is test/local/stack.test.ts's.)

const stateFile = join(mkdtempSync(join(tmpdir(), 'txonce-replay-')), 'local.json');
const local = npmStartSuite(stateFile);
let from: string;
let committed: number;

async function scan(table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await local
      .dynamo()
      .send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** What the business tables hold: each customer's total and count, and the invoices. */
async function effects() {
  const customers = await scan(local.stack().resources.customersTable);
  const invoices = await scan(local.stack().resources.invoicesTable);
  return {
    customers: Object.fromEntries(customers.map((item) => [item.pk, [item.paidTotal, item.invoiceCount]])),
    invoices: invoices.map((item) => item.pk).sort(),
  };
}

const EVENTS = 300;

/** Sends `EVENTS` distinct invoice.paid webhooks, signed as the stack's scheme signs, as a provider would (retried on 5xx). */
async function sendDistinct(run: string): Promise<void> {
  const stack = local.stack();
  const ids = Array.from({ length: EVENTS }, (_, index) => index);
  const statuses: number[] = [];
  for (let start = 0; start < EVENTS; start += 16) {
    await Promise.all(
      ids.slice(start, start + 16).map(async (index) => {
        const id = `msg_${run}_${index}`;
        const body = JSON.stringify({
          id,
          type: 'invoice.paid',
          data: {
            invoiceId: `inv_${run}_${index}`,
            customerId: `cus_${run}_${index % 5}`,
            amount: 100 + index,
            currency: 'EUR',
          },
        });
        const { status } = await postWithRetries(stack.webhookUrl, () => ({
          body,
          headers: { 'content-type': 'application/json', ...signWebhook(stack.scheme, stack.secret, id, body) },
        }));
        statuses.push(status);
      }),
    );
  }
  expect(statuses.filter((status) => status === 202)).toHaveLength(EVENTS);
}

/** The dedup records of this run's events. */
async function appliedOf(run: string): Promise<number> {
  const prefix = recordKey(local.stack().source, `msg_${run}_`);
  return (await scan(local.stack().resources.dedupTable)).filter((item) => String(item.pk).startsWith(prefix)).length;
}

const replay = () =>
  runCommandAsync(
    [...TXONCE_CLI, 'replay', '--from', from, '--to', new Date().toISOString(), '--watch', '60'],
    { TXONCE_STATE_FILE: stateFile },
    120_000,
  );

const count = (output: string, label: string) => Number(new RegExp(`^${label}\\s+(\\d+)`, 'm').exec(output)?.[1]);

describe('txonce replay on the local stack', () => {
  it('300 distinct webhooks, then a replay of the whole window: totals unchanged, the report says 300 already applied', async () => {
    from = new Date(Date.now() - 1000).toISOString();
    const run = Date.now().toString(36);
    await sendDistinct(run);
    await eventually('every event is applied', async () => (await appliedOf(run)) === EVENTS, 120_000);
    committed = EVENTS;
    const before = await effects();

    const result = await replay();

    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/found 300 archived webhook\(s\) of .*: 300 distinct event\(s\)/);
    expect(count(result.stdout, 'enqueued')).toBe(EVENTS);
    expect(count(result.stdout, 'already applied')).toBe(EVENTS);
    expect(count(result.stdout, 'applied by replay')).toBe(0);
    expect(result.stdout).not.toMatch(/not applied yet/);
    expect(count(result.stdout, 'failed')).toBe(0);
    expect(await effects()).toEqual(before);
  }, 360_000);

  it('20 invoices lost by hand (effects and dedup records), replayed: exact again', async () => {
    const before = await effects();
    const lost = (await scan(local.stack().resources.invoicesTable)).slice(0, 20);
    const outbox = await scan(local.stack().resources.outboxTable);
    for (const invoice of lost) {
      const key = String(invoice.pk).replace(/^inv_/, 'msg_');
      const record = recordKey(local.stack().source, key);
      await local
        .dynamo()
        .send(new DeleteCommand({ TableName: local.stack().resources.invoicesTable, Key: { pk: invoice.pk } }));
      await local.dynamo().send(
        new UpdateCommand({
          TableName: local.stack().resources.customersTable,
          Key: { pk: invoice.customerId },
          UpdateExpression: 'ADD paidTotal :minus, invoiceCount :one',
          ExpressionAttributeValues: { ':minus': -Number(invoice.amount), ':one': -1 },
        }),
      );
      await local
        .dynamo()
        .send(new DeleteCommand({ TableName: local.stack().resources.dedupTable, Key: { pk: record } }));
      for (const message of outbox.filter((item) => item.sourceKey === record))
        await local
          .dynamo()
          .send(new DeleteCommand({ TableName: local.stack().resources.outboxTable, Key: { pk: message.pk } }));
    }
    expect(await effects()).not.toEqual(before);

    const result = await replay();

    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(count(result.stdout, 'already applied')).toBe(committed - 20);
    expect(count(result.stdout, 'applied by replay')).toBe(20);
    expect(count(result.stdout, 'failed')).toBe(0);
    expect(await effects()).toEqual(before);
  }, 240_000);
});
