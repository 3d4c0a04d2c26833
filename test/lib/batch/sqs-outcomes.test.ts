import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DEAD_LETTER_ATTRIBUTES,
  type Idempotency,
  jsonBody,
  PermanentError,
  type RecordOutcome,
  readDeadLetterReason,
  sqsBatchHandler,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { type CounterFixture, localClient, storeWithCounters } from '../../support/dynamo.js';
import { createQueues, drainMessages, localSqs } from '../../support/sqs.js';
import { sqsEvent, sqsRecord } from '../../support/sqs-events.js';

const dynamo = localClient();
const sqs = localSqs();
let store: Idempotency;
let count: CounterFixture['count'];
let applied: CounterFixture['applied'];

beforeAll(async () => {
  ({ store, count, applied } = await storeWithCounters(dynamo, 'outcomes'));
});

/** A context whose remaining time follows `remaining` call by call (then stays at the last value). */
function contextWithRemaining(...remaining: number[]): Context {
  let call = 0;
  return { ...lambdaContext(), getRemainingTimeInMillis: () => remaining[Math.min(call++, remaining.length - 1)] };
}

describe('poison messages', () => {
  it('go straight to the DLQ with the reason, and are not reported as failures', async () => {
    const { dlqUrl } = await createQueues(sqs);
    const handler = sqsBatchHandler({ store, handler: count, deadLetter: { client: sqs, queueUrl: dlqUrl } });
    const poison = sqsRecord({ counter: 'p', poison: true }, { idempotencyKey: 'evt-poison-1' });
    poison.messageAttributes.tenant = { dataType: 'String', stringValue: 'acme' } as never;
    poison.attributes.ApproximateReceiveCount = '2';

    const response = await handler(sqsEvent([poison, sqsRecord({ counter: 'p-ok' })]), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(await applied('p-ok')).toBe(1);
    const [dead] = await drainMessages(sqs, dlqUrl);
    const attributes = Object.fromEntries(
      Object.entries(dead.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
    );
    expect(attributes).toMatchObject({ tenant: 'acme', idempotencyKey: 'evt-poison-1' });
    expect(readDeadLetterReason(dead.MessageAttributes)).toMatchObject({
      failedMessageId: poison.messageId,
      errorName: 'PermanentError',
      errorMessage: 'this event can never apply',
      receiveCount: 2,
      sourceQueueArn: poison.eventSourceARN,
    });
  });

  it("carry the key the handler used as idempotencyKey, not a copy of the record's own attribute", async () => {
    const { dlqUrl } = await createQueues(sqs);
    const handler = sqsBatchHandler({
      store,
      handler: count,
      key: (record) => `order-${jsonBody<{ order: string }>(record).order}`,
      deadLetter: { client: sqs, queueUrl: dlqUrl },
    });
    // the record's own idempotencyKey attribute is not the key this handler uses
    const poison = sqsRecord({ counter: 'p', poison: true, order: '42' }, { idempotencyKey: 'stale' });

    await handler(sqsEvent([poison]), lambdaContext());

    const [dead] = await drainMessages(sqs, dlqUrl);
    expect(dead.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.key]?.StringValue).toBe('order-42');
  });

  it('without an idempotencyKey attribute carry the messageId the key fell back to', async () => {
    const { dlqUrl } = await createQueues(sqs);
    const handler = sqsBatchHandler({ store, handler: count, deadLetter: { client: sqs, queueUrl: dlqUrl } });
    const poison = sqsRecord({ counter: 'p', poison: true });

    await handler(sqsEvent([poison]), lambdaContext());

    const [dead] = await drainMessages(sqs, dlqUrl);
    expect(dead.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.key]?.StringValue).toBe(poison.messageId);
  });

  it('keep all their own attributes, folded into one JSON attribute when they would leave no room for a redrive mark', async () => {
    const { dlqUrl } = await createQueues(sqs);
    const handler = sqsBatchHandler({ store, handler: count, deadLetter: { client: sqs, queueUrl: dlqUrl } });
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const poison = (own: number) => {
      const record = sqsRecord({ counter: 'p', poison: true, own });
      for (const name of names.slice(0, own))
        record.messageAttributes[name] = { dataType: 'String', stringValue: `value-${name}` } as never;
      return record;
    };

    // reason + key + 7 of its own = 9: one for one, one left for the mark
    await handler(sqsEvent([poison(7)]), lambdaContext());
    const [fits] = await drainMessages(sqs, dlqUrl);
    expect(fits.MessageAttributes?.g?.StringValue).toBe('value-g');
    expect(Object.keys(fits.MessageAttributes ?? {})).toHaveLength(9);

    // 8 of its own would leave no room: folded
    await handler(sqsEvent([poison(8)]), lambdaContext());
    const [dead] = await drainMessages(sqs, dlqUrl);
    const folded = JSON.parse(dead.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.originalAttributes]?.StringValue ?? '{}');
    expect(Object.keys(folded).sort()).toEqual(names);
    expect(folded.h.stringValue).toBe('value-h');
    expect(Object.keys(dead.MessageAttributes ?? {})).toHaveLength(3);
  });

  it('include a reused key and a body that is not JSON, which can never succeed either', async () => {
    const { dlqUrl } = await createQueues(sqs);
    const handler = sqsBatchHandler({
      store,
      handler: count,
      fingerprint: (record) => record.body,
      deadLetter: { client: sqs, queueUrl: dlqUrl },
    });
    await handler(sqsEvent([sqsRecord({ counter: 'reuse' }, { idempotencyKey: 'evt-reuse' })]), lambdaContext());

    const response = await handler(
      sqsEvent([
        sqsRecord({ counter: 'reuse', other: 'payload' }, { idempotencyKey: 'evt-reuse' }),
        sqsRecord('{not json', { idempotencyKey: 'evt-garbage' }),
      ]),
      lambdaContext(),
    );

    expect(response.batchItemFailures).toEqual([]);
    const names = (await drainMessages(sqs, dlqUrl)).map(
      (message) => readDeadLetterReason(message.MessageAttributes)?.errorName,
    );
    expect(names.sort()).toEqual(['IdempotencyKeyReuseError', 'PermanentError']);
    expect(await applied('reuse')).toBe(1);
  });

  it('are reported as failures when the DLQ send fails, so nothing is lost', async () => {
    const outcomes: RecordOutcome<unknown>[] = [];
    const handler = sqsBatchHandler({
      store,
      handler: count,
      // a DLQ that does not exist on the SQS endpoint
      deadLetter: { client: sqs, queueUrl: 'http://127.0.0.1:1/000000000000/missing-dlq' },
      onOutcome: (outcome) => {
        outcomes.push(outcome);
      },
    });
    const poison = sqsRecord({ counter: 'p', poison: true });

    const response = await handler(sqsEvent([poison]), lambdaContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poison.messageId }]);
    expect(outcomes[0]).toMatchObject({ status: 'failed', reason: 'dead-letter-send-failed' });
    expect((outcomes[0] as { error: AggregateError }).error.errors[0]).toBeInstanceOf(PermanentError);
  });

  it('are reported as failures without a DLQ, and transient errors are never dead-lettered', async () => {
    const { dlqUrl } = await createQueues(sqs);
    const withoutDlq = sqsBatchHandler({ store, handler: count });
    const poison = sqsRecord({ counter: 'p', poison: true });
    expect((await withoutDlq(sqsEvent([poison]), lambdaContext())).batchItemFailures).toEqual([
      { itemIdentifier: poison.messageId },
    ]);

    const withDlq = sqsBatchHandler({ store, handler: count, deadLetter: { client: sqs, queueUrl: dlqUrl } });
    const transient = sqsRecord({ counter: 't', transient: true });
    expect((await withDlq(sqsEvent([transient]), lambdaContext())).batchItemFailures).toEqual([
      { itemIdentifier: transient.messageId },
    ]);
    expect(await drainMessages(sqs, dlqUrl)).toHaveLength(0);
  });

  it('keep their message group in a FIFO DLQ', async () => {
    const { dlqUrl } = await createQueues(sqs, { fifo: true });
    const handler = sqsBatchHandler({ store, handler: count, deadLetter: { client: sqs, queueUrl: dlqUrl } });
    const poison = sqsRecord({ counter: 'p', poison: true });
    poison.eventSourceARN = 'arn:aws:sqs:us-east-1:000000000000:events.fifo';
    poison.attributes.MessageGroupId = 'customer-7';

    expect((await handler(sqsEvent([poison]), lambdaContext())).batchItemFailures).toEqual([]);
    const [dead] = await drainMessages(sqs, dlqUrl);
    expect(dead.Attributes?.MessageGroupId).toBe('customer-7');
  });

  it('reach a FIFO DLQ once when the same record is dead-lettered again (its messageId deduplicates)', async () => {
    const { dlqUrl } = await createQueues(sqs, { fifo: true });
    const handler = sqsBatchHandler({ store, handler: count, deadLetter: { client: sqs, queueUrl: dlqUrl } });
    const poison = sqsRecord({ counter: 'p', poison: true });
    poison.eventSourceARN = 'arn:aws:sqs:us-east-1:000000000000:events.fifo';
    poison.attributes.MessageGroupId = 'customer-8';

    // the invocation that dead-lettered it timed out before answering: SQS delivers it again
    await handler(sqsEvent([poison]), lambdaContext());
    await handler(sqsEvent([poison]), lambdaContext());

    const dead = await drainMessages(sqs, dlqUrl);
    expect(dead.map((message) => message.Body)).toEqual([poison.body]);
  });
});

describe('the outcome hook', () => {
  it('hears every record once: committed, duplicate, failed, dead-lettered', async () => {
    const { dlqUrl } = await createQueues(sqs);
    const seen: [string, string | undefined][] = [];
    const handler = sqsBatchHandler({
      store,
      handler: count,
      deadLetter: { client: sqs, queueUrl: dlqUrl },
      onOutcome: (outcome) => {
        seen.push([outcome.status, outcome.key]);
      },
    });
    await handler(sqsEvent([sqsRecord({ counter: 'hook' }, { idempotencyKey: 'hook-1' })]), lambdaContext());
    seen.length = 0;

    await handler(
      sqsEvent([
        sqsRecord({ counter: 'hook' }, { idempotencyKey: 'hook-2' }),
        sqsRecord({ counter: 'hook' }, { idempotencyKey: 'hook-1' }),
        sqsRecord({ counter: 'hook', transient: true }, { idempotencyKey: 'hook-3' }),
        sqsRecord({ counter: 'hook', poison: true }, { idempotencyKey: 'hook-4' }),
      ]),
      lambdaContext(),
    );

    expect(seen.sort()).toEqual([
      ['committed', 'hook-2'],
      ['dead-lettered', 'hook-4'],
      ['duplicate', 'hook-1'],
      ['failed', 'hook-3'],
    ]);
  });

  it('never fails the invocation when it throws: a dead-lettered record is not redelivered to reach the DLQ twice', async () => {
    const { dlqUrl } = await createQueues(sqs);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const handler = sqsBatchHandler({
      store,
      handler: count,
      deadLetter: { client: sqs, queueUrl: dlqUrl },
      onOutcome: () => {
        throw new Error('log sink down');
      },
    });
    const poison = sqsRecord({ counter: 'hook-throws', poison: true });
    const ok = sqsRecord({ counter: 'hook-throws' });
    const failing = sqsRecord({ counter: 'hook-throws', transient: true });

    try {
      const response = await handler(sqsEvent([poison, ok, failing]), lambdaContext());

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: failing.messageId }]);
      expect(await drainMessages(sqs, dlqUrl)).toHaveLength(1);
      expect(await applied('hook-throws')).toBe(1);
      // each failure of the hook is reported, naming the record and carrying the error
      const reported = logged.mock.calls.map(([message, error]) => [String(message), (error as Error)?.message]);
      expect(reported).toHaveLength(3);
      expect(reported.find(([message]) => message.includes(ok.messageId))?.[1]).toBe('log sink down');
    } finally {
      logged.mockRestore();
    }
  });
});

describe('the time budget', () => {
  it('reports records not yet started as failures once less than timeMarginMs is left', async () => {
    const outcomes: RecordOutcome<unknown>[] = [];
    const handler = sqsBatchHandler({
      store,
      handler: count,
      concurrency: 1,
      timeMarginMs: 5000,
      onOutcome: (outcome) => {
        outcomes.push(outcome);
      },
    });
    const records = [
      sqsRecord({ counter: 'budget' }),
      sqsRecord({ counter: 'budget' }),
      sqsRecord({ counter: 'budget' }),
    ];

    const response = await handler(sqsEvent(records), contextWithRemaining(20_000, 20_000, 4_000));

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: records[1].messageId },
      { itemIdentifier: records[2].messageId },
    ]);
    expect(outcomes.map((outcome) => (outcome.status === 'failed' ? outcome.reason : outcome.status))).toEqual([
      'committed',
      'time-budget',
      'time-budget',
    ]);
    expect(await applied('budget')).toBe(1);
  });

  it('by default keeps a margin that fits a short function: a 3 s Lambda processes its records', async () => {
    const outcomes: RecordOutcome<unknown>[] = [];
    const handler = sqsBatchHandler({
      store,
      handler: count,
      concurrency: 1,
      onOutcome: (outcome) => {
        outcomes.push(outcome);
      },
    });
    const records = [sqsRecord({ counter: 'short-lambda' }), sqsRecord({ counter: 'short-lambda' })];

    // 3 s left when the batch starts, then 2.9 s, then 0.3 s: below a fifth of what the batch began with
    const response = await handler(sqsEvent(records), contextWithRemaining(3_000, 2_900, 300));

    expect(outcomes.map((outcome) => (outcome.status === 'failed' ? outcome.reason : outcome.status))).toEqual([
      'committed',
      'time-budget',
    ]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[1].messageId }]);
    expect(await applied('short-lambda')).toBe(1);
  });

  it('refuses, as a clear error, a timeMarginMs the invocation can never meet', async () => {
    const handler = sqsBatchHandler({ store, handler: count, timeMarginMs: 5000 });
    const error = await handler(sqsEvent([sqsRecord({ counter: 'never-met' })]), lambdaContext(3_000)).catch(
      (caught) => caught,
    );
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toMatch(/timeMarginMs.*5000.*3000|timeMarginMs.*5000.*left/s);
    expect(await applied('never-met')).toBeUndefined();
  });

  it('in a FIFO batch also holds back the rest of the group it stopped in', async () => {
    const handler = sqsBatchHandler({ store, handler: count, timeMarginMs: 5000 });
    const fifo = (counter: string, group: string) => {
      const record = sqsRecord({ counter });
      record.eventSourceARN = 'arn:aws:sqs:us-east-1:000000000000:events.fifo';
      record.attributes.MessageGroupId = group;
      return record;
    };
    const records = [fifo('fifo-budget', 'g'), fifo('fifo-budget', 'g'), fifo('fifo-budget', 'g')];

    const response = await handler(sqsEvent(records), contextWithRemaining(20_000, 20_000, 1_000, 20_000));

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([
      records[1].messageId,
      records[2].messageId,
    ]);
    expect(await applied('fifo-budget')).toBe(1);
  });
});

describe('FIFO groups', () => {
  it('stop at the first failure in a group, report the rest of it unrun, and leave other groups alone', async () => {
    const ran: string[] = [];
    const handler = sqsBatchHandler({
      store,
      handler: (record, tx) => {
        ran.push(JSON.parse(record.body).name);
        return count(record, tx);
      },
    });
    const fifo = (name: string, group: string, transient = false) => {
      const record = sqsRecord({ counter: `fifo-${group}`, name, transient });
      record.eventSourceARN = 'arn:aws:sqs:us-east-1:000000000000:events.fifo';
      record.attributes.MessageGroupId = group;
      return record;
    };
    const records = [fifo('a1', 'A'), fifo('b1', 'B'), fifo('a2', 'A', true), fifo('b2', 'B'), fifo('a3', 'A')];

    const response = await handler(sqsEvent(records), lambdaContext());

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([
      records[2].messageId,
      records[4].messageId,
    ]);
    expect(ran.sort()).toEqual(['a1', 'a2', 'b1', 'b2']);
    expect(await applied('fifo-A')).toBe(1);
    expect(await applied('fifo-B')).toBe(2);
  });

  it("go on past a record sent to the DLQ: it has left the queue, as SQS's own redrive would do", async () => {
    const { dlqUrl } = await createQueues(sqs, { fifo: true });
    const handler = sqsBatchHandler({ store, handler: count, deadLetter: { client: sqs, queueUrl: dlqUrl } });
    const fifo = (body: object) => {
      const record = sqsRecord(body);
      record.eventSourceARN = 'arn:aws:sqs:us-east-1:000000000000:events.fifo';
      record.attributes.MessageGroupId = 'G';
      return record;
    };

    const response = await handler(
      sqsEvent([fifo({ counter: 'fifo-G' }), fifo({ counter: 'fifo-G', poison: true }), fifo({ counter: 'fifo-G' })]),
      lambdaContext(),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(await applied('fifo-G')).toBe(2);
    expect(await drainMessages(sqs, dlqUrl)).toHaveLength(1);
  });
});
