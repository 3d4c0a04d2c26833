import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { recordKey } from '../../lib/index.js';
import { npmStartSuite } from '../support/local-stack.js';
import { runCommandAsync, TXONCE_CLI, tsNode } from '../support/processes.js';

// The "done when", on the local stack as `npm start` runs it: the demo's 300 webhooks,
// then `txonce replay` of the whole window changes nothing; a simulated loss of 20 invoices
// (their effects and dedup records deleted by hand), replayed, is exact again.

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

const replay = () =>
  runCommandAsync(
    [...TXONCE_CLI, 'replay', '--from', from, '--to', new Date().toISOString(), '--watch', '60'],
    { TXONCE_STATE_FILE: stateFile },
    120_000,
  );

const count = (output: string, label: string) => Number(new RegExp(`^${label}\\s+(\\d+)`, 'm').exec(output)?.[1]);

describe('txonce replay on the local stack', () => {
  it('300 demo webhooks, then a replay of the whole window: totals unchanged, every applied event already applied', async () => {
    from = new Date(Date.now() - 1000).toISOString();
    const demo = await runCommandAsync(
      [...tsNode('local/demo.ts'), '--events', '300'],
      { TXONCE_STATE_FILE: stateFile },
      240_000,
    );
    expect(demo.status, demo.stdout + demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/sent\s+300\n/);
    committed = Number(/committed\s+(\d+)/.exec(demo.stdout)?.[1]);
    const before = await effects();

    const result = await replay();

    expect(result.status, result.stdout + result.stderr).toBe(0);
    // 300 sent = 6 forged (never accepted, never archived) + 294 accepted: the distinct invoices,
    // their retried copies (archived again unless in the same millisecond, enqueued once) and one
    // poison event
    const [, found, distinct] =
      /found (\d+) archived webhook\(s\) of .*: (\d+) distinct event\(s\)/.exec(result.stdout) ?? [];
    expect(Number(distinct)).toBe(committed + 1);
    expect(Number(found)).toBeGreaterThan(committed + 1);
    expect(Number(found)).toBeLessThanOrEqual(294);
    expect(count(result.stdout, 'enqueued')).toBe(committed + 1);
    expect(count(result.stdout, 'already applied')).toBe(committed);
    expect(count(result.stdout, 'applied by replay')).toBe(0);
    expect(count(result.stdout, 'not applied yet')).toBe(1); // the poison, dead-lettered again
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
