import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { redrive } from '../../cli/redrive.js';
import { createConsumer } from '../../functions/consumer/consumer.js';
import { DEAD_LETTER_ATTRIBUTES, Idempotency, readDeadLetterReason } from '../../lib/index.js';
import { type SqsLambdaHandler, SqsPoller } from '../../local/sqs-poller.js';
import { createTable, localClient } from '../support/dynamo.js';
import { runCommandAsync, TXONCE_CLI } from '../support/processes.js';
import { createQueues, drainMessages, eventually, localSqs, queueDepth } from '../support/sqs.js';

// A redrive whose copies fail again must count them and end, even when each dead letter carries
// SQS's maximum of 10 attributes. moto accepts an 11th attribute where SQS refuses it, so every
// message sent here is counted on its way and checked against the limit.

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const SQS_MAX_ATTRIBUTES = 10;
const dynamo = localClient();
const sqs = localSqs();

/** An SQS client that records the attribute count of every message it sends. */
function countingSqs(counts: number[]): SQSClient {
  const client = localSqs();
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { MessageAttributes?: Record<string, unknown> };
      if ('MessageBody' in (args.input as object)) counts.push(Object.keys(input.MessageAttributes ?? {}).length);
      return next(args);
    },
    { step: 'initialize', name: 'countAttributes' },
  );
  return client;
}

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/** A poison event as txonce before this change dead-lettered it from the ingest queue: 10 attributes. */
function legacyDeadLetter(index: number): Record<string, MessageAttributeValue> {
  return {
    idempotencyKey: text(`evt_poison_${index}`),
    source: text('stripe'),
    scheme: text('stripe'),
    receivedAt: text('2026-12-01T10:00:00.000Z'),
    'txonce.failedMessageId': text(`m-${index}`),
    'txonce.errorName': text('PermanentError'),
    'txonce.errorMessage': text('data.amount must be a positive whole number'),
    'txonce.receiveCount': { DataType: 'Number', StringValue: '1' },
    'txonce.failedAt': text('2026-12-01T10:00:01.000Z'),
    'txonce.sourceQueueArn': text('arn:aws:sqs:us-east-1:123456789012:events'),
  };
}

const poisonBody = (index: number) =>
  JSON.stringify({ type: 'invoice.paid', data: { invoiceId: `inv_${index}`, customerId: 'cus_p', amount: -1 } });

async function consumerFor(dlqUrl: string, deadLetterClient: SQSClient): Promise<SqsLambdaHandler> {
  const [dedupTable, invoicesTable, customersTable] = await Promise.all([
    createTable(dynamo, 'dedup'),
    createTable(dynamo, 'invoices'),
    createTable(dynamo, 'customers'),
  ]);
  return createConsumer({
    store: new Idempotency({ client: dynamo, tableName: dedupTable, source: 'stripe' }),
    tables: { invoicesTable, customersTable },
    // a permanent failure goes straight back into the DLQ being redriven
    deadLetter: { client: deadLetterClient, queueUrl: dlqUrl },
    logger: new Logger({ serviceName: 'redrive-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test', serviceName: 'redrive-test' }),
  }) as SqsLambdaHandler;
}

/** Records the attribute count of each record the consumer is handed: what the redrive sent. */
function counted(handler: SqsLambdaHandler, counts: number[]): SqsLambdaHandler {
  return (event: SQSEvent, context) => {
    for (const record of event.Records) counts.push(Object.keys(record.messageAttributes).length);
    return handler(event, context);
  };
}

describe('redrive of poisons that carry 10 attributes', () => {
  let poller: SqsPoller | undefined;
  afterEach(async () => {
    await poller?.stop();
    poller = undefined;
  });

  it('txonce redrive reports 4 moved and 4 failed again, ends, and leaves the 4 in the DLQ with their new reason', async () => {
    const { queueUrl, dlqUrl } = await createQueues(sqs, { maxReceiveCount: 2 });
    for (let index = 0; index < 4; index++) {
      const attributes = legacyDeadLetter(index);
      expect(Object.keys(attributes)).toHaveLength(SQS_MAX_ATTRIBUTES);
      await sqs.send(
        new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: poisonBody(index), MessageAttributes: attributes }),
      );
    }
    const deadLettered: number[] = [];
    const copied: number[] = [];
    poller = new SqsPoller({
      client: sqs,
      queueUrl,
      handler: counted(await consumerFor(dlqUrl, countingSqs(deadLettered)), copied),
      waitTimeSeconds: 1,
    });
    await poller.start();

    const result = await runCommandAsync(
      [...TXONCE_CLI, '--endpoint', inject('sqsEndpoint'), 'redrive', dlqUrl],
      { TXONCE_STATE_FILE: '/nonexistent/state.json' },
      60_000,
    );

    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^moved 4 message\(s\) to .* \(copy\)$/m);
    expect(result.stdout).toContain('4 of them failed again and are back in the DLQ');
    expect(copied).toHaveLength(4);
    expect(deadLettered).toHaveLength(4);
    for (const count of [...copied, ...deadLettered]) expect(count).toBeLessThanOrEqual(SQS_MAX_ATTRIBUTES);

    await eventually('the 4 poisons are back in the DLQ', async () => (await queueDepth(sqs, dlqUrl)) === 4);
    const left = await drainMessages(sqs, dlqUrl);
    expect(left.map((message) => message.MessageAttributes?.idempotencyKey?.StringValue).sort()).toEqual(
      [0, 1, 2, 3].map((index) => `evt_poison_${index}`),
    );
    for (const message of left) {
      // the event's own attributes came back one for one, and the reason is this failure's
      expect(message.MessageAttributes?.source?.StringValue).toBe('stripe');
      expect(message.MessageAttributes?.['txonce.errorName']).toBeUndefined();
      expect(readDeadLetterReason(message.MessageAttributes)).toMatchObject({
        errorName: 'PermanentError',
        sourceQueueArn: expect.stringMatching(/:events-[0-9a-f]{8}$/),
      });
      expect(message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.redriveRun]?.StringValue).toMatch(/^[0-9a-f-]{36}$/);
    }
  }, 90_000);

  it('recognises its copies by message id when they have no room for its mark and SQS moves them back', async () => {
    // 10 attributes of the event's own: no room for the mark. A transient failure: SQS itself
    // moves each copy back after maxReceiveCount, keeping its message id.
    const { queueUrl, dlqUrl } = await createQueues(sqs, { maxReceiveCount: 2 });
    const own = Object.fromEntries(
      Array.from({ length: SQS_MAX_ATTRIBUTES }, (_, index) => [`a${index}`, text(`v${index}`)]),
    );
    for (let index = 0; index < 2; index++)
      await sqs.send(
        new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: `{"n":${index}}`, MessageAttributes: own }),
      );
    const copied: number[] = [];
    const failing: SqsLambdaHandler = async (event) => ({
      batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })),
    });
    poller = new SqsPoller({ client: sqs, queueUrl, handler: counted(failing, copied), waitTimeSeconds: 1 });
    await poller.start();
    const sent: number[] = [];

    const result = await redrive({ sqs: countingSqs(sent), dlqUrl });

    expect(result).toMatchObject({ method: 'copy', moved: 2, failedAgain: 2, unsettled: 0, arrivedLater: 0 });
    expect(sent).toEqual([SQS_MAX_ATTRIBUTES, SQS_MAX_ATTRIBUTES]);
    expect(await queueDepth(sqs, dlqUrl)).toBe(2);
  }, 90_000);

  it('ends after --watch when nothing consumes the copies, and says how many it has no news of', async () => {
    const { queueUrl, dlqUrl } = await createQueues(sqs);
    for (let index = 0; index < 2; index++)
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: poisonBody(index),
          MessageAttributes: legacyDeadLetter(index),
        }),
      );
    const startedAt = Date.now();

    const result = await redrive({ sqs, dlqUrl, watchSeconds: 2 });

    expect(result).toMatchObject({ method: 'copy', moved: 2, failedAgain: 0, unsettled: 2 });
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(await queueDepth(sqs, queueUrl)).toBe(2);
  }, 30_000);
});
