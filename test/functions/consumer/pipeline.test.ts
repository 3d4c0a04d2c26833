import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer } from '../../../functions/consumer/consumer.js';
import { Idempotency, readDeadLetterReason } from '../../../lib/index.js';
import { type SqsLambdaHandler, SqsPoller } from '../../../local/sqs-poller.js';
import { createTable, getItem, localClient, scanAll } from '../../support/dynamo.js';
import { instrument } from '../../support/faults.js';
import { createQueues, drainMessages, eventually, localSqs, queueDepth, sendEvent } from '../../support/sqs.js';

// EMF lines would flood the test output; consumer.test.ts checks them
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const dynamo = localClient();
const sqs = localSqs();
const pollers: SqsPoller[] = [];
let dedupTable: string;
let invoicesTable: string;
let customersTable: string;

beforeAll(async () => {
  [dedupTable, invoicesTable, customersTable] = await Promise.all([
    createTable(dynamo, 'dedup'),
    createTable(dynamo, 'invoices'),
    createTable(dynamo, 'customers'),
  ]);
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
});

/** functions/consumer wired to the emulators; `wrap` lets a test force failures around it. */
function consumer(dlqUrl: string | undefined, options: { throttleCustomer?: string } = {}) {
  const client = localClient();
  // Transient DynamoDB trouble for one customer, injected below the SDK: every attempt is throttled.
  instrument(client, (_, input) =>
    options.throttleCustomer && JSON.stringify(input.TransactItems).includes(options.throttleCustomer)
      ? 'throttle'
      : 'none',
  );
  return createConsumer({
    store: new Idempotency({ client, tableName: dedupTable, source: 'pipeline' }),
    tables: { invoicesTable, customersTable },
    deadLetter: dlqUrl ? { client: sqs, queueUrl: dlqUrl } : undefined,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test', serviceName: 'test', singleMetric: false }),
  });
}

async function poll(queueUrl: string, handler: SqsLambdaHandler) {
  const poller = new SqsPoller({ client: sqs, queueUrl, handler, waitTimeSeconds: 0 });
  pollers.push(poller);
  await poller.start();
  return poller;
}

/** Polls with `handler`; the returned function says how many records it was handed so far. */
async function pollCounting(queueUrl: string, handler: SqsLambdaHandler): Promise<() => number> {
  let receives = 0;
  await poll(queueUrl, async (event, context) => {
    receives += event.Records.length;
    return handler(event, context);
  });
  return () => receives;
}

function invoicePaid(invoiceId: string, customerId: string, amount: number) {
  return {
    type: 'invoice.paid',
    timestamp: new Date().toISOString(),
    data: { invoiceId, customerId, amount, currency: 'EUR' },
  };
}

const paidTotal = async (customer: string) => (await getItem(dynamo, customersTable, customer))?.paidTotal;

describe('functions/consumer through the local SQS poller (moto SQS, DynamoDB Local)', () => {
  it('changes the customer total once for an event sent three times and redelivered after a failure', async () => {
    const { queueUrl, dlqUrl } = await createQueues(sqs);
    const handler = consumer(dlqUrl);
    let invocations = 0;
    // the first invocation dies after committing, as a Lambda timeout would: the whole batch comes back
    await poll(queueUrl, async (event, context) => {
      const response = await handler(event, context);
      if (++invocations === 1) throw new Error('Task timed out');
      return response;
    });
    for (let copy = 0; copy < 3; copy++) {
      await sendEvent(sqs, queueUrl, invoicePaid('inv-3x', 'cus-3x', 1250), { idempotencyKey: 'evt-3x' });
    }

    await eventually('the queue is empty', async () => (await queueDepth(sqs, queueUrl)) === 0);
    expect(invocations).toBeGreaterThanOrEqual(2);
    expect(await paidTotal('cus-3x')).toBe(1250);
    expect(await getItem(dynamo, customersTable, 'cus-3x')).toMatchObject({ invoiceCount: 1, currency: 'EUR' });
    expect(await getItem(dynamo, invoicesTable, 'inv-3x')).toMatchObject({ status: 'paid', amount: 1250 });
    expect(await drainMessages(sqs, dlqUrl)).toHaveLength(0);
  });

  it('lets SQS move a record that keeps failing transiently to the DLQ after maxReceiveCount, never applying it', async () => {
    const { queueUrl, dlqUrl } = await createQueues(sqs, { maxReceiveCount: 3 });
    const received = await pollCounting(queueUrl, consumer(dlqUrl, { throttleCustomer: 'cus-throttled' }));
    const messageId = await sendEvent(sqs, queueUrl, invoicePaid('inv-t', 'cus-throttled', 99), {
      idempotencyKey: 'evt-t',
    });

    await eventually('the message reaches the DLQ', async () => (await queueDepth(sqs, dlqUrl)) === 1);
    const [dead] = await drainMessages(sqs, dlqUrl);
    expect(dead.MessageId).toBe(messageId); // moved by SQS itself, not re-sent by txonce
    expect(received()).toBe(3);
    expect(await paidTotal('cus-throttled')).toBeUndefined();
    expect(await getItem(dynamo, dedupTable, 'pipeline#evt-t')).toBeUndefined();
  });

  it('sends a permanent failure to the DLQ after one receive, with attributes that say why', async () => {
    const { queueUrl, dlqUrl } = await createQueues(sqs, { maxReceiveCount: 5 });
    const received = await pollCounting(queueUrl, consumer(dlqUrl));
    const poison = invoicePaid('inv-p', 'cus-poison', -5);
    const messageId = await sendEvent(sqs, queueUrl, poison, { idempotencyKey: 'evt-poison' });

    await eventually('the poison message reaches the DLQ', async () => (await queueDepth(sqs, dlqUrl)) === 1);
    await eventually('the queue is empty', async () => (await queueDepth(sqs, queueUrl)) === 0);
    const [dead] = await drainMessages(sqs, dlqUrl);
    const attribute = (name: string) => dead.MessageAttributes?.[name]?.StringValue;
    expect(received()).toBe(1);
    expect(JSON.parse(dead.Body ?? '')).toEqual(poison);
    expect(attribute('idempotencyKey')).toBe('evt-poison');
    const reason = readDeadLetterReason(dead.MessageAttributes);
    expect(reason).toMatchObject({
      failedMessageId: messageId,
      errorName: 'PermanentError',
      errorMessage: expect.stringMatching(/data\.amount must be a positive whole number/),
      receiveCount: 1,
      sourceQueueArn: expect.stringMatching(/^arn:aws:sqs:.*:events-[0-9a-f]{8}$/),
    });
    expect(Date.parse(reason?.failedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(await paidTotal('cus-poison')).toBeUndefined();
  });

  it('sends an event nested 40 000 levels deep to the DLQ after one receive, as a permanent failure', async () => {
    const { queueUrl, dlqUrl } = await createQueues(sqs, { maxReceiveCount: 5 });
    const received = await pollCounting(queueUrl, consumer(dlqUrl));
    // valid JSON (the ingest accepts it, signed), 240 KB: under SQS's 256 KiB
    const depth = 40_000;
    const body = `{"type":"invoice.paid","data":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    expect(Buffer.byteLength(body)).toBeLessThan(256 * 1024);
    await sendEvent(sqs, queueUrl, body, { idempotencyKey: 'evt-deep' });

    await eventually('the deep event reaches the DLQ', async () => (await queueDepth(sqs, dlqUrl)) === 1);
    await eventually('the queue is empty', async () => (await queueDepth(sqs, queueUrl)) === 0);
    const [dead] = await drainMessages(sqs, dlqUrl);
    expect(received()).toBe(1);
    expect(dead.Body).toBe(body);
    expect(readDeadLetterReason(dead.MessageAttributes)).toMatchObject({
      errorName: 'UnfingerprintablePayloadError',
      errorMessage: expect.stringMatching(/nested deeper than \d+ levels/),
    });
  });

  it('sends a reused key with a different event to the DLQ as IdempotencyKeyReuseError, never as a duplicate', async () => {
    const { queueUrl, dlqUrl } = await createQueues(sqs, { maxReceiveCount: 5 });
    await poll(queueUrl, consumer(dlqUrl));
    await sendEvent(sqs, queueUrl, invoicePaid('inv-r', 'cus-reuse', 100), { idempotencyKey: 'evt-reused' });
    await eventually('the first event is applied', async () => (await paidTotal('cus-reuse')) === 100);
    // a redelivery may differ outside the event's type and data (here its timestamp): still a duplicate
    const redelivery = { ...invoicePaid('inv-r', 'cus-reuse', 100), timestamp: '2020-01-01T00:00:00.000Z' };
    await sendEvent(sqs, queueUrl, redelivery, { idempotencyKey: 'evt-reused' });
    const other = invoicePaid('inv-r2', 'cus-reuse', 999);
    const messageId = await sendEvent(sqs, queueUrl, other, { idempotencyKey: 'evt-reused' });

    await eventually('the reused key reaches the DLQ', async () => (await queueDepth(sqs, dlqUrl)) === 1);
    await eventually('the queue is empty', async () => (await queueDepth(sqs, queueUrl)) === 0);
    const [dead] = await drainMessages(sqs, dlqUrl);
    expect(readDeadLetterReason(dead.MessageAttributes)).toMatchObject({
      failedMessageId: messageId,
      errorName: 'IdempotencyKeyReuseError',
      errorMessage: expect.stringMatching(/already used with a different payload/),
    });
    expect(await paidTotal('cus-reuse')).toBe(100);
    expect(await getItem(dynamo, invoicesTable, 'inv-r2')).toBeUndefined();
  });

  it('reports only the poison record of a batch, and with a DLQ not even that one', async () => {
    const { queueUrl, dlqUrl } = await createQueues(sqs);
    const records =
      (await Promise.all([
        sendEvent(sqs, queueUrl, invoicePaid('inv-b1', 'cus-batch', 10), { idempotencyKey: 'evt-b1' }),
        sendEvent(sqs, queueUrl, 'this is not json', { idempotencyKey: 'evt-b2' }),
        sendEvent(sqs, queueUrl, invoicePaid('inv-b3', 'cus-batch', 20), { idempotencyKey: 'evt-b3' }),
      ])) && (await drainMessages(sqs, queueUrl));
    const event: SQSEvent = {
      Records: records.map((message) => ({
        messageId: message.MessageId as string,
        receiptHandle: message.ReceiptHandle as string,
        body: message.Body as string,
        attributes: message.Attributes as never,
        messageAttributes: {
          idempotencyKey: { dataType: 'String', stringValue: message.MessageAttributes?.idempotencyKey?.StringValue },
        } as never,
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events',
        awsRegion: 'us-east-1',
      })),
    };
    const poisonId = records.find((message) => message.Body === 'this is not json')?.MessageId;
    const { lambdaContext } = await import('../../../local/lambda-context.js');

    const withoutDlq = await consumer(undefined)(event, lambdaContext());
    expect(withoutDlq.batchItemFailures).toEqual([{ itemIdentifier: poisonId }]);
    expect(await paidTotal('cus-batch')).toBe(30);

    const withDlq = await consumer(dlqUrl)(event, lambdaContext());
    expect(withDlq.batchItemFailures).toEqual([]);
    const dead = await drainMessages(sqs, dlqUrl);
    expect(dead.map((message) => message.Body)).toEqual(['this is not json']);
    expect(readDeadLetterReason(dead[0].MessageAttributes)?.errorMessage).toMatch(/not valid JSON/);
    expect(await paidTotal('cus-batch')).toBe(30);
  });
});

describe('FIFO queues through the poller', () => {
  it('keeps a group in order when a record in its middle fails; other groups go on', async () => {
    const { queueUrl } = await createQueues(sqs, { fifo: true, maxReceiveCount: 5 });
    const { sqsBatchHandler } = await import('../../../lib/index.js');
    const client = localClient();
    const store = new Idempotency({ client, tableName: dedupTable, source: 'fifo' });
    const ran: string[] = [];
    let failA2 = true;
    // each record appends its name to its group's log: the log is the order of application
    const handler = sqsBatchHandler({
      store,
      handler: (record, tx) => {
        const { group, name } = JSON.parse(record.body);
        ran.push(name);
        if (name === 'a2' && failA2) {
          failA2 = false;
          throw new Error('transient failure in the middle of group A');
        }
        tx.update({
          TableName: customersTable,
          Key: { pk: `fifo-log-${group}` },
          UpdateExpression: 'SET #log = list_append(if_not_exists(#log, :empty), :entry)',
          ExpressionAttributeNames: { '#log': 'log' },
          ExpressionAttributeValues: { ':empty': [], ':entry': [name] },
        });
      },
    });
    for (const [group, name] of [
      ['A', 'a1'],
      ['A', 'a2'],
      ['B', 'b1'],
      ['A', 'a3'],
      ['B', 'b2'],
    ]) {
      await sendEvent(sqs, queueUrl, { group, name }, { groupId: group, idempotencyKey: `fifo-${name}` });
    }
    await poll(queueUrl, handler);

    await eventually('the FIFO queue is empty', async () => (await queueDepth(sqs, queueUrl)) === 0);
    expect((await getItem(dynamo, customersTable, 'fifo-log-A'))?.log).toEqual(['a1', 'a2', 'a3']);
    expect((await getItem(dynamo, customersTable, 'fifo-log-B'))?.log).toEqual(['b1', 'b2']);
    // a3 was not even started while a2 was failing
    expect(ran.indexOf('a3')).toBeGreaterThan(ran.lastIndexOf('a2'));
    expect(ran.filter((name) => name === 'a2')).toHaveLength(2);
    expect((await scanAll(dynamo, dedupTable)).filter((item) => String(item.pk).startsWith('fifo#'))).toHaveLength(5);
  });
});
