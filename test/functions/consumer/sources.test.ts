import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { readConsumerConfig } from '../../../functions/consumer/config.js';
import { createConsumer } from '../../../functions/consumer/consumer.js';
import { Idempotency } from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { type ConsumerTables, createConsumerTables } from '../../support/consumer-tables.js';
import { getItem, localClient } from '../../support/dynamo.js';
import { sqsEvent, sqsRecord } from '../../support/sqs-events.js';

// The example consumer of a pipeline with several sources: a store per source, each record
// committed under the namespace its `source` attribute names.

const dynamo = localClient();
let tables: ConsumerTables;

beforeAll(async () => {
  tables = await createConsumerTables(dynamo);
});

function paid(source: string, key: string, invoiceId: string) {
  const record = sqsRecord(
    { type: 'invoice.paid', data: { invoiceId, customerId: 'cus_sources', amount: 100, currency: 'EUR' } },
    { idempotencyKey: key },
  );
  record.messageAttributes.source = { dataType: 'String', stringValue: source } as never;
  return record;
}

describe('the example consumer with several sources', () => {
  it('reads IDEMPOTENCY_SOURCES as the list of its sources', () => {
    const env = { DEDUP_TABLE: 'd', INVOICES_TABLE: 'i', CUSTOMERS_TABLE: 'c', IDEMPOTENCY_SOURCES: 'stripe, github' };
    expect(readConsumerConfig(env).sources).toEqual(['stripe', 'github']);
    expect(readConsumerConfig({ ...env, IDEMPOTENCY_SOURCES: '' }).sources).toBeUndefined();
  });

  it("commits each record under its own source's namespace, and absorbs a repeat within a source", async () => {
    vi.stubEnv('IDEMPOTENCY_SOURCES', 'stripe,github');
    const store = (source: string) => new Idempotency({ client: dynamo, tableName: tables.dedup, source });
    const consumer = createConsumer({
      store: { stripe: store('stripe'), github: store('github') },
      tables,
      logger: new Logger({ serviceName: 'consumer-sources-test', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'txonce-test', serviceName: 'consumer-sources-test' }),
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true); // EMF lines
    try {
      const response = await consumer(
        sqsEvent([
          paid('stripe', 'evt_same', 'inv_s1'),
          paid('github', 'evt_same', 'inv_g1'),
          paid('stripe', 'evt_same', 'inv_s1'), // a duplicate of the first
        ]),
        lambdaContext(),
      );
      expect(response.batchItemFailures).toEqual([]);
    } finally {
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
    }
    expect(await getItem(dynamo, tables.dedup, 'stripe#evt_same')).toBeDefined();
    expect(await getItem(dynamo, tables.dedup, 'github#evt_same')).toBeDefined();
    expect((await getItem(dynamo, tables.customersTable, 'cus_sources'))?.paidTotal).toBe(200);
  });
});
