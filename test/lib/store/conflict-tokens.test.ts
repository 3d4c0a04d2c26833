import { beforeAll, describe, expect, it } from 'vitest';
import { Idempotency } from '../../../lib/index.js';
import { createTable, getItem, localClient } from '../../support/dynamo.js';
import { type Fault, instrument, type ServiceBehaviour } from '../../support/faults.js';

// DynamoDB documents a ClientRequestToken's idempotency for identical requests, not what a
// retry with the token of a *cancelled* transaction gets. Each test runs against both answers.

const setupClient = localClient();
let dedupTable: string;
let counters: string;

beforeAll(async () => {
  [dedupTable, counters] = await Promise.all([createTable(setupClient, 'dedup'), createTable(setupClient, 'counters')]);
});

function storeWithFaults(faults: Fault[], behaviour: ServiceBehaviour, clientConfig = {}) {
  const client = localClient(clientConfig);
  const calls = instrument(client, (attempt) => faults[attempt - 1] ?? 'none', behaviour);
  const store = new Idempotency({ client, tableName: dedupTable, source: 'tokens', retryBaseDelayMs: 1 });
  return { store, calls };
}

/** A handler whose effect shows if it is applied twice: a counter ADDed by 1. */
function countOnce(counter: string) {
  return (tx: Parameters<Parameters<Idempotency['run']>[1]>[0]) => {
    tx.update({
      TableName: counters,
      Key: { pk: counter },
      UpdateExpression: 'ADD #count :one',
      ExpressionAttributeNames: { '#count': 'count' },
      ExpressionAttributeValues: { ':one': 1 },
    });
    return { counter };
  };
}

async function countOf(counter: string) {
  return (await getItem(setupClient, counters, counter))?.count;
}

describe.each([
  { service: 'replays the cancellation for a cancelled token', replayCancelledTokens: true },
  { service: 'treats a cancelled token as unused', replayCancelledTokens: false },
])('when the service $service', (behaviour) => {
  const id = behaviour.replayCancelledTokens ? 'replay' : 'fresh';

  it.each([1, 3])(
    'commits once after TransactionConflict on the first %i attempts, with a fresh token each time',
    async (k) => {
      const { store, calls } = storeWithFaults(Array(k).fill('conflict'), behaviour);

      const outcome = await store.run({ key: `${id}-conflict-${k}` }, countOnce(`${id}-conflict-${k}`));

      expect(outcome).toEqual({ status: 'committed', result: { counter: `${id}-conflict-${k}` } });
      expect(await countOf(`${id}-conflict-${k}`)).toBe(1);
      // k cancellations answered unsent, then the one request that reached DynamoDB
      expect(calls.tokens).toHaveLength(k + 1);
      expect(calls.totalSent()).toBe(1);
      expect(new Set(calls.tokens).size).toBe(k + 1);
    },
  );

  it('keeps the token after a lost response and TransactionInProgressException, and renews it only after a cancellation', async () => {
    // 1: cancelled (definite) -> new token. 2: applied, response lost; the SDK retries it.
    // 3: in progress (unknown), the SDK is out of attempts -> the commit loop retries, same token.
    const { store, calls } = storeWithFaults(['conflict', 'lose-response', 'in-progress'], behaviour, {
      maxAttempts: 2,
    });

    const outcome = await store.run({ key: `${id}-mixed` }, countOnce(`${id}-mixed`));

    expect(outcome.status).toBe('committed');
    expect(await countOf(`${id}-mixed`)).toBe(1);
    expect(calls.tokens).toHaveLength(4);
    expect(calls.totalSent()).toBe(2);
    const [cancelled, lost, inProgress, last] = calls.tokens;
    expect(lost).not.toBe(cancelled);
    expect([inProgress, last]).toEqual([lost, lost]);
  });

  it('keeps the token when TransactionInProgressException follows a lost response', async () => {
    const { store, calls } = storeWithFaults(['lose-response', 'in-progress'], behaviour, { maxAttempts: 2 });

    const outcome = await store.run({ key: `${id}-in-progress` }, countOnce(`${id}-in-progress`));

    expect(outcome.status).toBe('committed');
    expect(await countOf(`${id}-in-progress`)).toBe(1);
    expect(calls.tokens).toHaveLength(3);
    expect(calls.totalSent()).toBe(2);
    expect(new Set(calls.tokens).size).toBe(1);
  });

  it('still recognises its own commit under a new token, once DynamoDB has forgotten the token that committed', async () => {
    // 1: cancelled -> new token. 2: applied, response lost. 3: the SDK's retry reaches DynamoDB
    // after the token window: the dedup record's condition fails, and its runId is this delivery's.
    const { store, calls } = storeWithFaults(['conflict', 'lose-response', 'forget-token'], behaviour);

    const outcome = await store.run({ key: `${id}-own` }, countOnce(`${id}-own`));

    expect(outcome).toEqual({ status: 'committed', result: { counter: `${id}-own` } });
    expect(await countOf(`${id}-own`)).toBe(1);
    expect(calls.totalSent()).toBe(2);
    expect(calls.tokens[1]).not.toBe(calls.tokens[0]);
  });
});
