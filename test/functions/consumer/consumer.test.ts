import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readConsumerConfig } from '../../../functions/consumer/config.js';
import { createConsumer } from '../../../functions/consumer/consumer.js';
import { ConfigError } from '../../../functions/shared/config-error.js';
import { Idempotency } from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { type ConsumerTables, createConsumerTables } from '../../support/consumer-tables.js';
import { getItem, localClient } from '../../support/dynamo.js';
import { createQueues, localSqs } from '../../support/sqs.js';
import { sqsEvent, sqsRecord } from '../../support/sqs-events.js';

// environment a test stubs is restored even when it fails
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('consumer configuration', () => {
  const valid = { DEDUP_TABLE: 'dedup', INVOICES_TABLE: 'invoices', CUSTOMERS_TABLE: 'customers' };

  it('reads the tables, the DLQ and the key namespace from the environment', () => {
    expect(
      readConsumerConfig({
        ...valid,
        DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/1/dlq',
        IDEMPOTENCY_SOURCE: 'stripe',
      }),
    ).toEqual({
      dedupTable: 'dedup',
      invoicesTable: 'invoices',
      customersTable: 'customers',
      deadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/dlq',
      source: 'stripe',
      ttlSeconds: undefined,
      outboxTable: undefined,
      receipts: undefined,
    });
  });

  it('emits receipts through the outbox only when it has one', () => {
    expect(
      readConsumerConfig({ ...valid, OUTBOX_TABLE: 'outbox', RECEIPTS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:1:receipts' })
        .receipts,
    ).toEqual({
      kind: 'sns',
      topicArn: 'arn:aws:sns:eu-west-1:1:receipts',
    });
    expect(() => readConsumerConfig({ ...valid, RECEIPTS_WEBHOOK_URL: 'http://127.0.0.1/receipts' })).toThrow(
      /set OUTBOX_TABLE too/,
    );
  });

  it('names every problem at once', () => {
    const error = (() => {
      try {
        readConsumerConfig({ INVOICES_TABLE: 'invoices', DLQ_URL: 'dlq', IDEMPOTENCY_TTL_SECONDS: 'soon' });
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toContain('DEDUP_TABLE is not set');
    expect(error?.message).toContain('CUSTOMERS_TABLE is not set');
    expect(error?.message).toContain('DLQ_URL must be the queue');
    expect(error?.message).toContain('IDEMPOTENCY_TTL_SECONDS must be a positive whole number');
  });

  it('fails the cold start of the deployed handler, before any record is touched', async () => {
    vi.stubEnv('DEDUP_TABLE', '');
    await expect(import('../../../functions/consumer/handler.js')).rejects.toThrow(ConfigError);
  });
});

describe('consumer logs and metrics', () => {
  const dynamo = localClient();
  let tables: ConsumerTables;
  let stdout: string[];

  beforeAll(async () => {
    tables = await createConsumerTables(dynamo);
  });

  afterEach(() => vi.restoreAllMocks());

  /** Powertools writes logs to stdout (errors to stderr) and EMF to stdout. */
  function captureOutput() {
    stdout = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        stdout.push(String(chunk));
        return true;
      });
    }
  }

  const jsonLines = () =>
    stdout
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));

  it('logs each outcome without the body, and publishes EMF counts per outcome', async () => {
    const sqs = localSqs();
    const { dlqUrl } = await createQueues(sqs);
    const consumer = createConsumer({
      store: new Idempotency({ client: dynamo, tableName: tables.dedup, source: 'obs' }),
      tables,
      deadLetter: { client: sqs, queueUrl: dlqUrl },
      logger: new Logger({ serviceName: 'consumer-test' }),
      metrics: new Metrics({ namespace: 'txonce-test', serviceName: 'consumer-test' }),
    });
    const paid = {
      type: 'invoice.paid',
      data: { invoiceId: 'inv-obs', customerId: 'cus-obs', amount: 700, currency: 'EUR' },
    };
    const secret = { ...paid, data: { ...paid.data, amount: -1, cardNumber: '4242424242424242' } };

    captureOutput();
    await consumer(
      sqsEvent([
        sqsRecord(paid, { idempotencyKey: 'evt-obs' }),
        sqsRecord(paid, { idempotencyKey: 'evt-obs' }),
        sqsRecord(secret, { idempotencyKey: 'evt-obs-bad' }),
        sqsRecord({ type: 'customer.created' }, { idempotencyKey: 'evt-obs-other' }),
      ]),
      lambdaContext(),
    );
    vi.restoreAllMocks();

    const lines = jsonLines();
    const logs = lines.filter((line) => line.message);
    expect(logs.map((line) => line.message).sort()).toEqual([
      'duplicate absorbed',
      'event committed',
      'event committed',
      'event dead-lettered',
    ]);
    expect(logs.every((line) => line.service === 'consumer-test' && line.function_request_id)).toBe(true);
    expect(stdout.join('')).not.toContain('4242424242424242');

    const emf = lines.find((line) => line._aws);
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('txonce-test');
    const counts = (name: string) => [emf[name]].flat().reduce((sum: number, value: number) => sum + value, 0);
    expect(counts('committed')).toBe(2);
    expect(counts('duplicate')).toBe(1);
    expect(counts('deadLettered')).toBe(1);
    expect(emf.failed).toBeUndefined();
    expect((await getItem(dynamo, tables.customersTable, 'cus-obs'))?.paidTotal).toBe(700);
  });
});
