import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { lambdaContext } from '../local/lambda-context.js';
import type { BenchEvent, Contender, Tables } from './contenders.js';
import { freshEvent } from './measure.js';
import { benchClient } from './sdk-hooks.js';

export interface CrashResult {
  events: number;
  /** first attempts that failed as injected (observed: a failed delivery, or a commit sent again) */
  crashed: number;
  retries: number;
  /** customers whose total is more than their one event's amount */
  doubled: number;
  /** customers whose total is missing or less than their event's amount */
  missing: number;
}

/**
 * Fails `failRate` of first attempts at the worst moment for each design, then delivers every
 * failed event again until it succeeds, as SQS would, and counts effects applied twice.
 * - peer: the business write is done, the call that marks the record COMPLETED fails.
 * - txonce: the transaction commits and its response is lost (the SDK retries, as configured by default).
 * Each event has a customer of its own, so a doubled effect shows as a doubled total.
 */
export async function doubledEffects(options: {
  endpoint: string;
  tables: Tables;
  design: 'peer' | 'txonce';
  make: (client: DynamoDBClient) => Contender;
  events: number;
  failRate?: number;
}): Promise<CrashResult> {
  let crashing = false;
  const { client, counter } = benchClient(options.endpoint, (operation, input) => {
    if (!crashing) return undefined;
    if (options.design === 'peer' && operation === 'UpdateItem' && input.TableName === options.tables.peerIdempotency) {
      return 'fail-before-send';
    }
    if (options.design === 'txonce' && operation === 'TransactWriteItems') {
      crashing = false; // only the first attempt's answer is lost
      return 'lose-response';
    }
    return undefined;
  });
  const contender = options.make(client);
  const every = Math.round(1 / (options.failRate ?? 0.1));
  const events = Array.from({ length: options.events }, () => freshEvent(Number.MAX_SAFE_INTEGER));
  // A Lambda that is about to time out: the peer's in-progress record expires with it.
  const context = () => lambdaContext(100);

  let pending: BenchEvent[] = [];
  let crashed = 0;
  for (const [index, event] of events.entries()) {
    crashing = index % every === 0;
    const sentBefore = counter.calls.TransactWriteItems ?? 0;
    let failed = false;
    try {
      await contender.handle(event, context());
    } catch {
      failed = true;
      pending.push(event);
    }
    crashing = false;
    // counted where the failure shows, not where it was scheduled: the peer's delivery failed,
    // or txonce's commit had to be sent again (its first answer was lost)
    const resent = (counter.calls.TransactWriteItems ?? 0) - sentBefore > 1;
    if (options.design === 'peer' ? failed : resent) crashed++;
  }
  let retries = 0;
  for (let round = 0; pending.length > 0 && round < 50; round++) {
    await new Promise((resolve) => setTimeout(resolve, 150)); // the redelivery comes later
    const still: BenchEvent[] = [];
    for (const event of pending) {
      retries++;
      await contender.handle(event, context()).catch(() => still.push(event));
    }
    pending = still;
  }
  if (pending.length > 0) throw new Error(`${pending.length} events never succeeded`);

  const totals = await readTotals(client, options.tables.customers, events);
  let doubled = 0;
  let missing = 0;
  for (const event of events) {
    const total = totals.get(event.customerId) ?? 0;
    if (total > event.amount) doubled++;
    if (total < event.amount) missing++;
  }
  return { events: events.length, crashed, retries, doubled, missing };
}

async function readTotals(client: DynamoDBClient, table: string, events: BenchEvent[]): Promise<Map<string, number>> {
  const documents = DynamoDBDocumentClient.from(client);
  const totals = new Map<string, number>();
  for (let start = 0; start < events.length; start += 100) {
    const keys = events.slice(start, start + 100).map((event) => ({ pk: event.customerId }));
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
      [table]: { Keys: keys, ConsistentRead: true },
    };
    while (request && Object.keys(request).length > 0) {
      const { Responses, UnprocessedKeys } = await documents.send(new BatchGetCommand({ RequestItems: request }));
      for (const item of Responses?.[table] ?? []) totals.set(item.pk as string, item.paidTotal as number);
      request = UnprocessedKeys as typeof request;
    }
  }
  return totals;
}
