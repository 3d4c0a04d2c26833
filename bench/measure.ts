import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { lambdaContext } from '../local/lambda-context.js';
import type { BenchEvent, Contender, ContenderName } from './contenders.js';
import type { CallCounter } from './sdk-hooks.js';

let sequence = 0;
const run = randomUUID().slice(0, 8);

/** A fresh event: a new key, a new invoice, one of `customers` customers. */
export function freshEvent(customers = 50): BenchEvent {
  const n = sequence++;
  return {
    id: `evt_${run}_${n}`,
    invoiceId: `inv_${run}_${n}`,
    customerId: `cus_${run}_${n % customers}`,
    amount: 1 + (n % 97),
  };
}

/** Rotates who goes first each round, so drift on a noisy machine falls on everyone alike. */
function rotated<T>(items: T[], round: number): T[] {
  return items.map((_, index) => items[(index + round) % items.length]);
}

/** DynamoDB requests per first delivery and per duplicate, averaged over `events`. */
export async function callsPerEvent(contender: Contender, counter: CallCounter, events: number) {
  const sample = Array.from({ length: events }, () => freshEvent());
  counter.reset();
  for (const event of sample) await contender.handle(event, lambdaContext());
  const first = counter.total() / events;
  counter.reset();
  for (const event of sample) await contender.handle(event, lambdaContext());
  return { first, duplicate: counter.total() / events };
}

/** Per-event latency of first deliveries, one at a time, contenders interleaved round by round. */
export async function sequentialLatency(contenders: Contender[], rounds: number, perRound: number) {
  const latencies = new Map<ContenderName, number[]>(contenders.map((contender) => [contender.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const contender of rotated(contenders, round)) {
      for (let index = 0; index < perRound; index++) {
        const event = freshEvent();
        const started = performance.now();
        await contender.handle(event, lambdaContext());
        latencies.get(contender.name)?.push(performance.now() - started);
      }
    }
  }
  return latencies;
}

/** Events per second with `concurrency` events in flight; one value per round. */
export async function throughput(contenders: Contender[], concurrency: number, events: number, rounds: number) {
  const results = new Map<ContenderName, number[]>(contenders.map((contender) => [contender.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const contender of rotated(contenders, round)) {
      const batch = Array.from({ length: events }, () => freshEvent(500));
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < batch.length) await contender.handle(batch[next++], lambdaContext());
        }),
      );
      results.get(contender.name)?.push(events / ((performance.now() - started) / 1000));
    }
  }
  return results;
}

/** Latency of one SQS batch of `size` fresh records through each contender's batch handler. */
export async function batchLatency(contenders: Contender[], batches: number, size = 10) {
  const latencies = new Map<ContenderName, number[]>(contenders.map((contender) => [contender.name, []]));
  for (let round = 0; round < batches; round++) {
    for (const contender of rotated(contenders, round)) {
      const event: SQSEvent = { Records: Array.from({ length: size }, () => sqsRecord(freshEvent())) };
      const started = performance.now();
      const response = await contender.handleBatch?.(event, lambdaContext());
      if (response?.batchItemFailures.length) throw new Error(`${contender.name} failed records in a clean batch`);
      latencies.get(contender.name)?.push(performance.now() - started);
    }
  }
  return latencies;
}

function sqsRecord(event: BenchEvent): SQSEvent['Records'][number] {
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body: JSON.stringify(event),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'bench',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {
      idempotencyKey: { dataType: 'String', stringValue: event.id, stringListValues: [], binaryListValues: [] },
    },
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench',
    awsRegion: 'us-east-1',
  };
}
