import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { lambdaContext } from '../local/lambda-context.js';
import type { BenchEvent, Contender, Tables } from './contenders.js';
import { benchClient } from './sdk-hooks.js';
import { percentile } from './stats.js';

export const HOT_CONCURRENCY = [10, 50];
export const CONFLICT_RATES = [0, 0.01, 0.1];

export interface ContentionResult {
  contender: 'txonce' | 'peer';
  concurrency: number;
  conflictRate: number;
  events: number;
  /** events per second, redeliveries included (the wait before a redelivery is not) */
  throughput: number;
  /** p99 of a delivery that succeeded, ms */
  p99: number;
  /** TransactionConflict answers injected */
  injected: number;
  /** TransactWriteItems attempts beyond one per event, per event (in-process retries and redeliveries) */
  retriesPerEvent: number;
  /** deliveries that failed and had to come again, per event */
  redeliveriesPerEvent: number;
  doubled: number;
  lost: number;
}

/**
 * Every event for one customer, `concurrency` in flight, and TransactionConflict answered
 * unsent to exactly `conflictRate` of TransactWriteItems attempts (every 1/rate-th attempt, the
 * same attempts for every contender). A failed delivery comes again, as SQS would, until it
 * succeeds. Each event adds 1 to the customer's total, so the total counts applied effects.
 */
export async function hotKey(options: {
  endpoint: string;
  tables: Tables;
  name: 'txonce' | 'peer';
  make: (client: DynamoDBClient) => Contender;
  concurrency: number;
  conflictRate: number;
  events: number;
}): Promise<ContentionResult> {
  let attempts = 0;
  let injected = 0;
  const { client } = benchClient(options.endpoint, (operation) => {
    if (operation !== 'TransactWriteItems') return undefined;
    attempts++;
    const hit = Math.floor(attempts * options.conflictRate) > Math.floor((attempts - 1) * options.conflictRate);
    if (!hit) return undefined;
    injected++;
    return 'conflict';
  });
  const contender = options.make(client);
  const customerId = `cus_hot_${randomUUID().slice(0, 8)}`;
  const events: BenchEvent[] = Array.from({ length: options.events }, (_, n) => ({
    id: `evt_${customerId}_${n}`,
    invoiceId: `inv_${customerId}_${n}`,
    customerId,
    amount: 1,
  }));

  // one untimed event on another customer first: connections and the contender warm, not timed
  await contender.handle(
    { id: `evt_warm_${customerId}`, invoiceId: `inv_warm_${customerId}`, customerId: `${customerId}_warm`, amount: 1 },
    lambdaContext(),
  );
  attempts = 0;
  injected = 0;

  const latencies: number[] = [];
  let redeliveries = 0;
  const started = performance.now();
  let pending = events;
  for (let round = 0; pending.length > 0; round++) {
    if (round === 50) throw new Error(`${options.name}: ${pending.length} events never succeeded`);
    if (round > 0) redeliveries += pending.length;
    const failed: BenchEvent[] = [];
    let next = 0;
    const queue = pending;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < queue.length) {
          const event = queue[next++];
          const begun = performance.now();
          try {
            await contender.handle(event, lambdaContext());
            latencies.push(performance.now() - begun);
          } catch {
            failed.push(event);
          }
        }
      }),
    );
    pending = failed;
  }
  const seconds = (performance.now() - started) / 1000;

  const effects = await appliedEffects(client, options.tables, customerId, events);
  client.destroy();
  return {
    contender: options.name,
    concurrency: options.concurrency,
    conflictRate: options.conflictRate,
    events: events.length,
    throughput: events.length / seconds,
    p99: percentile(latencies, 99),
    injected,
    retriesPerEvent: (attempts - events.length) / events.length,
    redeliveriesPerEvent: redeliveries / events.length,
    ...effects,
  };
}

/** Lost: an event whose invoice is missing. Doubled: total increments beyond the events applied. */
async function appliedEffects(client: DynamoDBClient, tables: Tables, customerId: string, events: BenchEvent[]) {
  const documents = DynamoDBDocumentClient.from(client);
  const { Item } = await documents.send(
    new GetCommand({ TableName: tables.customers, Key: { pk: customerId }, ConsistentRead: true }),
  );
  const total = (Item?.paidTotal as number | undefined) ?? 0;
  let present = 0;
  for (let start = 0; start < events.length; start += 100) {
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
      [tables.invoices]: {
        Keys: events.slice(start, start + 100).map((event) => ({ pk: event.invoiceId })),
        ConsistentRead: true,
      },
    };
    while (request && Object.keys(request).length > 0) {
      const { Responses, UnprocessedKeys } = await documents.send(new BatchGetCommand({ RequestItems: request }));
      present += Responses?.[tables.invoices]?.length ?? 0;
      request = UnprocessedKeys as typeof request;
    }
  }
  // an invoice without its total increment is lost too; increments beyond the invoices are doubled
  return { lost: events.length - present + Math.max(0, present - total), doubled: Math.max(0, total - present) };
}
