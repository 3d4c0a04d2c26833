import fc from 'fast-check';
import type { PrecheckMode } from '../../lib/index.js';

/** A fault on one TransactWriteItems attempt, as it leaves a container's DynamoDB client. */
export type WireFault =
  | 'none'
  /** DynamoDB applies it, the response is lost (the SDK retries, if it may) */
  | 'lose-response'
  /** cancelled for contention, unsent */
  | 'conflict'
  /** a request with this token is still running: outcome unknown, unsent */
  | 'in-progress'
  /** cancelled for throttling, unsent */
  | 'throttle'
  /** the request throttled, unsent (the SDK retries this one) */
  | 'throughput-exceeded';

export type Channel = 'standard' | 'fifo' | 'middleware';

export interface EventSpec {
  /** the idempotency key: events that share one are a key reused with another payload */
  key: string;
  payload: string;
  /** business entity the effect lands on: a few hot ones, many cold */
  entity: string;
  /** the handler throws a PermanentError: the event can only end in the DLQ */
  poison: boolean;
}

export interface DeliverySpec {
  event: number;
  channel: Channel;
  /** round in which the copy first becomes visible: copies overlap or trail each other */
  wave: number;
}

export interface InvocationFaults {
  /** the Lambda deadline is reached after this many records of the batch have started */
  deadlineAfter: number | null;
  /** the onOutcome hook throws on this outcome (0-based) */
  hookThrowsAt: number | null;
  /** the invocation times out after the work: its response is lost and the container restarts */
  crash: boolean;
}

export interface StoreOptions {
  ttlSeconds: number | undefined;
  precheck: PrecheckMode;
  cache: boolean;
  concurrency: number;
  timeMarginMs: number | undefined;
  /** outbox messages each commit emits */
  emits: number;
  /** commit attempts under TransactionConflict */
  maxAttempts: number;
  /** the DynamoDB client's own attempts (SDK retries) */
  sdkAttempts: number;
  /** receives before SQS moves a message to its DLQ */
  maxReceiveCount: number;
  batchSize: number;
  containers: number;
}

export interface Schedule {
  options: StoreOptions;
  events: EventSpec[];
  deliveries: DeliverySpec[];
  /** by idempotency key: the fault on its n-th TransactWriteItems attempt (any container) */
  wireFaults: Record<string, WireFault[]>;
  /** by event index: whether its n-th handler call throws (a retryable error, before commit) */
  handlerThrows: Record<number, boolean[]>;
  /** by invocation number */
  invocations: InvocationFaults[];
  /** by DLQ send number: whether SendMessage to the DLQ fails */
  deadLetterSendFails: boolean[];
  /** containers restarted (cache dropped) after this invocation number */
  restarts: number[];
  /** seeds the batch order and the small handler delays */
  shuffleSeed: number;
}

const wireFault = fc.constantFrom<WireFault>(
  'none',
  'none',
  'lose-response',
  'conflict',
  'in-progress',
  'throttle',
  'throughput-exceeded',
);

const options: fc.Arbitrary<StoreOptions> = fc.record({
  ttlSeconds: fc.constantFrom(undefined, 3600),
  precheck: fc.constantFrom<PrecheckMode>(true, false, 'auto'),
  cache: fc.boolean(),
  concurrency: fc.integer({ min: 1, max: 4 }),
  timeMarginMs: fc.constantFrom(undefined, 0, 1000),
  emits: fc.integer({ min: 0, max: 2 }),
  maxAttempts: fc.integer({ min: 1, max: 4 }),
  sdkAttempts: fc.integer({ min: 1, max: 3 }),
  maxReceiveCount: fc.integer({ min: 2, max: 4 }),
  batchSize: fc.integer({ min: 1, max: 6 }),
  containers: fc.integer({ min: 1, max: 3 }),
});

/**
 * A random schedule: a small workload (a few hot entities, the rest cold; a key now and then
 * reused with another payload; a poison event now and then), each event delivered 1..3 times
 * over several rounds and channels, and faults at every boundary, each budget finite so the
 * system can quiesce.
 */
export function scheduleArbitrary(size: { maxEvents: number } = { maxEvents: 5 }): fc.Arbitrary<Schedule> {
  const eventShape = fc.record({
    hot: fc.boolean(),
    reusesEarlierKey: fc.nat({ max: 5 }),
    reuseOf: fc.nat({ max: 5 }),
    poison: fc.nat({ max: 9 }),
    copies: fc.array(
      fc.record({ channel: fc.constantFrom<Channel>('standard', 'fifo', 'middleware'), wave: fc.nat({ max: 2 }) }),
      { minLength: 1, maxLength: 3 },
    ),
  });
  return fc
    .record({
      options,
      shapes: fc.array(eventShape, { minLength: 1, maxLength: size.maxEvents }),
      faultLists: fc.array(fc.array(wireFault, { maxLength: 4 }), {
        minLength: size.maxEvents,
        maxLength: size.maxEvents,
      }),
      throwLists: fc.array(fc.array(fc.boolean(), { maxLength: 2 }), {
        minLength: size.maxEvents,
        maxLength: size.maxEvents,
      }),
      invocations: fc.array(
        fc.record({
          deadlineAfter: fc.option(fc.nat({ max: 3 }), { freq: 3 }),
          hookThrowsAt: fc.option(fc.nat({ max: 3 }), { freq: 3 }),
          crash: fc.integer({ min: 0, max: 4 }).map((n) => n === 4), // rare; shrinks to false
        }),
        { maxLength: 6 },
      ),
      deadLetterSendFails: fc.array(fc.boolean(), { maxLength: 3 }),
      restarts: fc.uniqueArray(fc.nat({ max: 8 }), { maxLength: 2 }),
      shuffleSeed: fc.nat(),
    })
    .map(({ options, shapes, faultLists, throwLists, invocations, deadLetterSendFails, restarts, shuffleSeed }) => {
      const events: EventSpec[] = [];
      const deliveries: DeliverySpec[] = [];
      shapes.forEach((shape, index) => {
        // one event in six reuses an earlier event's key with its own payload (never a poison one)
        // (values that shrink toward 0 mean "ordinary", so a shrunk schedule keeps only what matters)
        const earlier = events[index - 1 - (shape.reuseOf % Math.max(1, index))];
        const reuse = shape.reusesEarlierKey === 5 && earlier !== undefined && !earlier.poison;
        const poison = !reuse && shape.poison === 9;
        events.push({
          key: reuse ? earlier.key : `k${index}`,
          payload: `p${index}`,
          entity: shape.hot ? `hot${index % 2}` : `cold${index}`,
          poison,
        });
        for (const copy of shape.copies) deliveries.push({ event: index, ...copy });
      });
      const wireFaults: Record<string, WireFault[]> = {};
      const handlerThrows: Record<number, boolean[]> = {};
      events.forEach((event, index) => {
        const faults = faultLists[index];
        if (faults.some((fault) => fault !== 'none') && !wireFaults[event.key]) wireFaults[event.key] = faults;
        if (throwLists[index].some(Boolean)) handlerThrows[index] = throwLists[index];
      });
      return {
        options,
        events,
        deliveries,
        wireFaults,
        handlerThrows,
        invocations,
        deadLetterSendFails,
        restarts,
        shuffleSeed,
      };
    });
}
