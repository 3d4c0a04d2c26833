import type { Schedule } from './schedule.js';

const quiet = { deadLetterSendFails: [], restarts: [], shuffleSeed: 0, handlerThrows: {} };
const plain: Schedule['options'] = {
  ttlSeconds: undefined,
  precheck: false,
  cache: false,
  concurrency: 1,
  timeMarginMs: undefined,
  emits: 0,
  maxAttempts: 1,
  sdkAttempts: 1,
  maxReceiveCount: 2,
  batchSize: 1,
  containers: 1,
};

/**
 * Shrunk schedules the checker printed, kept so each runs in every `npm test`. The first two are
 * the counterexamples for the two bugs put in by hand to prove that the checker catches them (see
 * docs/concepts.md, "Checked under random fault schedules"); the third found the harness's own
 * redrive budget too small once no record starts without time left (the margin's floor).
 */
export const regressions: { name: string; schedule: Schedule }[] = [
  {
    // attribute_not_exists dropped from the dedup condition: the redelivery applies again
    name: 'a batch that times out after committing is redelivered, and the redelivery is a duplicate',
    schedule: {
      ...quiet,
      options: plain,
      events: [{ key: 'k0', payload: 'p0', entity: 'cold0', poison: false }],
      deliveries: [{ event: 0, channel: 'standard', wave: 0 }],
      wireFaults: {},
      invocations: [{ deadlineAfter: null, hookThrowsAt: null, crash: true }],
    },
  },
  {
    // a fresh ClientRequestToken on every commit retry: TransactionInProgress retried with another token
    name: 'a commit that meets TransactionInProgressException retries with the same token',
    schedule: {
      ...quiet,
      options: { ...plain, maxAttempts: 2 },
      events: [
        { key: 'k0', payload: 'p0', entity: 'cold0', poison: false },
        { key: 'k1', payload: 'p1', entity: 'cold1', poison: false },
      ],
      deliveries: [
        { event: 0, channel: 'standard', wave: 0 },
        { event: 1, channel: 'standard', wave: 0 },
      ],
      wireFaults: { k1: ['in-progress'] },
      invocations: [],
    },
  },
  {
    // REDRIVES = 3: six invocations with no time left start nothing, two handler throws follow,
    // and the event was still in the DLQ (for maxReceiveCount) when the redrives ran out
    name: 'invocations with no time left start no record, and the event still applies once after redrives',
    schedule: {
      ...quiet,
      options: { ...plain, precheck: true },
      events: [{ key: 'k0', payload: 'p0', entity: 'cold0', poison: false }],
      deliveries: [{ event: 0, channel: 'standard', wave: 0 }],
      wireFaults: {},
      handlerThrows: { 0: [true, true] },
      invocations: Array.from({ length: 6 }, () => ({ deadlineAfter: 0, hookThrowsAt: null, crash: false })),
    },
  },
];
