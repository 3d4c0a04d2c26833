import { readFileSync } from 'node:fs';
import type { Message } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDeadLetterReason } from '../../lib/index.js';
import { bundlePath, invokeBundle } from '../support/bundles.js';
import { createTable, getItem, localClient } from '../support/dynamo.js';
import { createQueues, drainMessages, localSqs, type TestQueues } from '../support/sqs.js';
import { sqsEvent, sqsRecord } from '../support/sqs-events.js';

// The example consumer exactly as it ships and deploys: the minified bundle the package holds,
// run in a process of its own with its settings in the environment, as Lambda runs it.

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

/** Invokes the consumer bundle once in a fresh Node.js process, with its tables and DLQ. */
function invokeConsumer(event: unknown) {
  return invokeBundle('consumer', event, {
    DEDUP_TABLE: tables.dedup,
    INVOICES_TABLE: tables.invoices,
    CUSTOMERS_TABLE: tables.customers,
    DLQ_URL: queues.dlqUrl,
  });
}

describe('the prebuilt consumer bundle (minified, as deployed)', () => {
  it('is minified: its classes lose their names, so error names must be written out', () => {
    const bundle = readFileSync(bundlePath('consumer'), 'utf8');
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
    const { response, logs } = invokeConsumer(sqsEvent([poison, paid]));

    expect(response).toEqual({ batchItemFailures: [] }); // the poison went straight to the DLQ
    expect(await getItem(dynamo, tables.customers, 'cus_min')).toMatchObject({ paidTotal: 700 });
    const [deadLetter] = (await drainMessages(sqs, queues.dlqUrl)) as Message[];
    expect(readDeadLetterReason(deadLetter?.MessageAttributes)?.errorName).toBe('PermanentError');
    const logged = logs.find((line) => line.message === 'event dead-lettered');
    expect((logged?.error as { name?: string } | undefined)?.name).toBe('PermanentError');
  });
});
