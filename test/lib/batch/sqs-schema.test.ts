import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DEAD_LETTER_ATTRIBUTES,
  type Idempotency,
  type RecordOutcome,
  readDeadLetterReason,
  sqsBatchHandler,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { getItem, localClient, storeWithCounters } from '../../support/dynamo.js';
import { createQueues, drainMessages, localSqs } from '../../support/sqs.js';
import { sqsEvent, sqsRecord } from '../../support/sqs-events.js';

const dynamo = localClient();
const sqs = localSqs();
let store: Idempotency;
let counters: string;

beforeAll(async () => {
  ({ store, counters } = await storeWithCounters(dynamo, 'sqs-schema'));
});

const InvoicePaid = z.object({ counter: z.string(), amount: z.coerce.number().positive() });

function paidHandler(dlqUrl?: string) {
  const parsed: z.infer<typeof InvoicePaid>[] = [];
  const outcomes: RecordOutcome<number>[] = [];
  const handler = sqsBatchHandler({
    store,
    schema: InvoicePaid,
    handler: (_record, tx, _context, paid) => {
      parsed.push(paid);
      tx.update({
        TableName: counters,
        Key: { pk: paid.counter },
        UpdateExpression: 'ADD applied :a',
        ExpressionAttributeValues: { ':a': paid.amount },
      });
      return paid.amount;
    },
    deadLetter: dlqUrl ? { client: sqs, queueUrl: dlqUrl } : undefined,
    onOutcome: (outcome) => {
      outcomes.push(outcome);
    },
  });
  return { handler, parsed, outcomes };
}

describe('sqsBatchHandler with a schema', () => {
  it('hands the handler the parsed body, and sends an invalid one to the DLQ with the validation issues', async () => {
    const { dlqUrl } = await createQueues(sqs);
    const { handler, parsed, outcomes } = paidHandler(dlqUrl);
    const good = sqsRecord({ counter: 'schema-good', amount: '12' });
    const invalid = sqsRecord({ counter: 'schema-bad', amount: -5 }, { idempotencyKey: 'evt-invalid-1' });

    const response = await handler(sqsEvent([good, invalid]), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(parsed).toEqual([{ counter: 'schema-good', amount: 12 }]);
    expect((await getItem(dynamo, counters, 'schema-good'))?.applied).toBe(12);
    expect(await getItem(dynamo, counters, 'schema-bad')).toBeUndefined();
    expect(outcomes.map((o) => o.status).sort()).toEqual(['committed', 'dead-lettered']);

    const [dead] = await drainMessages(sqs, dlqUrl);
    const attributes = dead.MessageAttributes ?? {};
    expect(dead.Body).toBe(invalid.body);
    expect(attributes[DEAD_LETTER_ATTRIBUTES.key]?.StringValue).toBe('evt-invalid-1');
    expect(readDeadLetterReason(attributes)).toMatchObject({
      errorName: 'SchemaValidationError',
      validationIssues: [{ message: expect.any(String), path: ['amount'] }],
    });
  });

  it('counts a body that is not JSON as invalid; without a DLQ, reports it back like any permanent failure', async () => {
    const { handler, outcomes } = paidHandler();
    const notJson = sqsRecord('{"counter": ');

    const response = await handler(sqsEvent([notJson]), lambdaContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: notJson.messageId }]);
    expect(outcomes[0]).toMatchObject({
      status: 'failed',
      reason: 'error',
      error: {
        name: 'SchemaValidationError',
        issues: [{ path: [], message: expect.stringMatching(/could not be read/) }],
      },
    });
  });

  it('counts a body nested too deep for the schema to validate as invalid, not as a transient stack overflow', async () => {
    type Tree = number | { a: Tree };
    const Tree: z.ZodType<Tree> = z.lazy(() => z.union([z.number(), z.object({ a: Tree })]));
    const outcomes: RecordOutcome<void>[] = [];
    const handler = sqsBatchHandler({
      store,
      schema: Tree,
      handler: () => {},
      onOutcome: (outcome) => {
        outcomes.push(outcome);
      },
    });
    const depth = 40_000;
    const deep = sqsRecord(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);

    await handler(sqsEvent([deep]), lambdaContext());

    expect(outcomes[0]).toMatchObject({
      status: 'failed',
      error: {
        name: 'SchemaValidationError',
        retryable: false,
        issues: [{ path: [], message: expect.stringMatching(/nested too deep/) }],
      },
    });
  });

  it('leaves handlers without a schema as they were: the body is not parsed, the payload argument is undefined', async () => {
    const seen: unknown[] = [];
    const handler = sqsBatchHandler({
      store,
      handler: (_record, _tx, _context, payload) => {
        seen.push(payload);
      },
    });
    const response = await handler(sqsEvent([sqsRecord('not json at all')]), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(seen).toEqual([undefined]);
  });
});
