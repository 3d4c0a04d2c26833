import type { Context } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Idempotency, type RecordOutcome, sqsBatchHandler } from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { type CounterFixture, localClient, storeWithCounters } from '../../support/dynamo.js';
import { sqsEvent, sqsRecord } from '../../support/sqs-events.js';

// The edges of a batch's time budget and outcome hook (lib/batch/time-budget.ts), found by mutation testing.

const dynamo = localClient();
let store: Idempotency;
let count: CounterFixture['count'];
let applied: CounterFixture['applied'];

beforeAll(async () => {
  ({ store, count, applied } = await storeWithCounters(dynamo, 'budget-edges'));
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** A context whose clock stands still: `remaining` ms left at every call. */
const frozenContext = (remaining: number): Context => ({
  ...lambdaContext(),
  getRemainingTimeInMillis: () => remaining,
});

describe('a batch without a Lambda clock', () => {
  it('runs every record when the context has no getRemainingTimeInMillis, or there is no context', async () => {
    const handler = sqsBatchHandler({ store, handler: count, concurrency: 1, timeMarginMs: 5000 });
    const records = () => [sqsRecord({ counter: 'no-clock' }), sqsRecord({ counter: 'no-clock' })];

    const withBareContext = await handler(sqsEvent(records()), {} as Context);
    const withoutContext = await handler(sqsEvent(records()), undefined as unknown as Context);

    expect(withBareContext.batchItemFailures).toEqual([]);
    expect(withoutContext.batchItemFailures).toEqual([]);
    expect(await applied('no-clock')).toBe(4);
  });
});

describe('an explicit timeMarginMs at its edge', () => {
  it('is refused when the invocation starts with exactly that much time left, saying what to change', async () => {
    const handler = sqsBatchHandler({ store, handler: count, timeMarginMs: 5000 });
    const error = await handler(sqsEvent([sqsRecord({ counter: 'edge-refused' })]), frozenContext(5000)).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(/Lower timeMarginMs, or raise the function timeout/);
    expect(await applied('edge-refused')).toBeUndefined();
  });

  it('still starts a record when exactly the margin is left', async () => {
    const outcomes: string[] = [];
    let call = 0;
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => (call++ === 0 ? 20_000 : 5000) };
    const handler = sqsBatchHandler({
      store,
      handler: count,
      timeMarginMs: 5000,
      onOutcome: (outcome: RecordOutcome<unknown>) => {
        outcomes.push(outcome.status);
      },
    });

    const response = await handler(sqsEvent([sqsRecord({ counter: 'edge-started' })]), context);

    expect(response.batchItemFailures).toEqual([]);
    expect(outcomes).toEqual(['committed']);
    expect(await applied('edge-started')).toBe(1);
  });
});

describe('a batch without an onOutcome hook', () => {
  it('logs no error for its records', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const handler = sqsBatchHandler({ store, handler: count });

    const response = await handler(sqsEvent([sqsRecord({ counter: 'no-hook' })]), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(errors).not.toHaveBeenCalled();
  });
});
