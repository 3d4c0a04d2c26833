import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { lambdaContext } from '../local/lambda-context.js';
import type { BenchEvent, Tables } from './contenders.js';
import { costVariant, DEFAULT_VARIANT, VARIANTS, type Variant, type VariantName } from './cost-variants.js';
import { freshEvent } from './measure.js';
import { type CapacityMeter, meterCapacity } from './meter.js';
import { dynamoDollars, lambdaDollars } from './prices.js';

export const DUPLICATE_SHARES = [0, 0.25, 0.5];

/** Per delivery of one kind (first or duplicate): request units by the published rules, handler time. */
export interface DeliveryCost {
  writeUnits: number;
  readUnits: number;
  /** mean handler time, ms (DynamoDB Local on a shared machine) */
  ms: number;
}

export interface VariantCost {
  name: VariantName;
  items: 1 | 2;
  /** per delivery; for the default, as metered in its 25%-duplicates stream (its precheck then on) */
  first: DeliveryCost;
  duplicate: DeliveryCost;
  /** dollars per million deliveries at each duplicate share, on-demand */
  perMillion: { share: number; dynamo: number; lambda: number; total: number }[];
}

export interface CostResults {
  variants: VariantCost[];
  /** requests where DynamoDB Local reported ConsumedCapacity, and how many of them disagree with the published rules */
  crossCheck: { reported: number; agree: number; unreported: number };
}

/**
 * Request units per first delivery and per duplicate, metered request by request from the
 * items' actual sizes; then handler times, unmetered, with variants interleaved and rotated.
 */
export async function costPerEvent(options: {
  endpoint: string;
  client: DynamoDBClient;
  meteredClient: DynamoDBClient;
  tables: Tables;
  meteredEvents: number;
  timedRounds: number;
  timedPerRound: number;
  /** the default's mixed streams: deliveries before metering (its precheck settles), then metered */
  mixedWarmup: number;
  mixedEvents: number;
}): Promise<CostResults> {
  const keyNames = {
    [options.tables.txonceDedup]: 'pk',
    [options.tables.peerIdempotency]: 'id',
    [options.tables.invoices]: 'pk',
    [options.tables.customers]: 'pk',
  };
  const meter = meterCapacity(options.meteredClient, options.endpoint, keyNames);
  const shapes = ([2, 1] as const).flatMap((items) => VARIANTS.map((name) => ({ name, items })));
  const units = new Map<string, { first: [number, number]; duplicate: [number, number] }>();
  const defaults: VariantCost[] = [];
  const crossCheck = { reported: 0, agree: 0, unreported: 0 };
  try {
    for (const shape of shapes) {
      const variant = costVariant(shape.name, shape.items, options.meteredClient, options.tables);
      const events = Array.from({ length: options.meteredEvents }, () => freshEvent());
      const totals = { first: [0, 0] as [number, number], duplicate: [0, 0] as [number, number] };
      for (const kind of ['first', 'duplicate'] as const) {
        meter.reset();
        for (const event of events) await variant.handle(event, lambdaContext());
        for (const request of meter.requests) {
          totals[kind][0] += request.writeUnits / events.length;
          totals[kind][1] += request.readUnits / events.length;
          if (request.reported === undefined) crossCheck.unreported++;
          else {
            crossCheck.reported++;
            if (request.reported === request.writeUnits + request.readUnits) crossCheck.agree++;
          }
        }
      }
      units.set(`${shape.name}/${shape.items}`, totals);
    }
    for (const items of [2, 1] as const) {
      defaults.push(await defaultVariantCost(meter, options, items));
    }
  } finally {
    meter.stop();
  }

  const times = await handlerTimes(
    shapes.map((shape) => costVariant(shape.name, shape.items, options.client, options.tables)),
    options.timedRounds,
    options.timedPerRound,
  );
  const variants = shapes.map((shape): VariantCost => {
    const key = `${shape.name}/${shape.items}`;
    const u = units.get(key) ?? { first: [0, 0], duplicate: [0, 0] };
    const t = times.get(key) ?? { first: Number.NaN, duplicate: Number.NaN };
    const first = { writeUnits: round(u.first[0]), readUnits: round(u.first[1]), ms: t.first };
    const duplicate = { writeUnits: round(u.duplicate[0]), readUnits: round(u.duplicate[1]), ms: t.duplicate };
    return {
      ...shape,
      first,
      duplicate,
      perMillion: DUPLICATE_SHARES.map((share) => perMillion(first, duplicate, share)),
    };
  });
  return { variants: [...variants, ...defaults], crossCheck };
}

/**
 * The default options cost what they cost because of the duplicates seen before ('auto' reads
 * only while duplicates are common), so the default is metered on streams that mix first
 * deliveries and duplicates at each share, each on a fresh store (a fresh container) that first
 * handles `mixedWarmup` deliveries of the same mix unmetered. Handler times come from the same
 * kind of stream, unmetered, on the plain client.
 */
async function defaultVariantCost(
  meter: CapacityMeter,
  options: Parameters<typeof costPerEvent>[0],
  items: 1 | 2,
): Promise<VariantCost> {
  const perShare = [];
  let split = { first: { writeUnits: 0, readUnits: 0, ms: 0 }, duplicate: { writeUnits: 0, readUnits: 0, ms: 0 } };
  for (const share of DUPLICATE_SHARES) {
    const metered = costVariant(DEFAULT_VARIANT, items, options.meteredClient, options.tables);
    for (const delivery of mixedStream(options.mixedWarmup, share))
      await metered.handle(delivery.event, lambdaContext());
    const sums = { first: { w: 0, r: 0, n: 0 }, duplicate: { w: 0, r: 0, n: 0 } };
    for (const delivery of mixedStream(options.mixedEvents, share)) {
      meter.reset();
      await metered.handle(delivery.event, lambdaContext());
      const sum = sums[delivery.duplicate ? 'duplicate' : 'first'];
      sum.n++;
      for (const request of meter.requests) {
        sum.w += request.writeUnits;
        sum.r += request.readUnits;
      }
    }
    const timed = costVariant(DEFAULT_VARIANT, items, options.client, options.tables);
    for (const delivery of mixedStream(options.mixedWarmup, share)) await timed.handle(delivery.event, lambdaContext());
    let ms = 0;
    const timedStream = mixedStream(options.mixedEvents, share);
    for (const delivery of timedStream) {
      const started = performance.now();
      await timed.handle(delivery.event, lambdaContext());
      ms += performance.now() - started;
    }
    const total = sums.first.n + sums.duplicate.n;
    const mean: DeliveryCost = {
      writeUnits: (sums.first.w + sums.duplicate.w) / total,
      readUnits: (sums.first.r + sums.duplicate.r) / total,
      ms: ms / timedStream.length,
    };
    // the mix is already in the mean: price it as one kind of delivery
    perShare.push({ ...perMillion(mean, mean, 0), share });
    if (share === 0.25) {
      const per = (sum: { w: number; r: number; n: number }) => ({
        writeUnits: round(sum.w / Math.max(1, sum.n)),
        readUnits: round(sum.r / Math.max(1, sum.n)),
        ms: mean.ms,
      });
      split = { first: per(sums.first), duplicate: per(sums.duplicate) };
    }
  }
  return { name: DEFAULT_VARIANT, items, ...split, perMillion: perShare };
}

/**
 * `count` deliveries of which `share` are duplicates, spread evenly: a duplicate repeats one of
 * the last ten first deliveries, as a redelivery or a sender's retry would.
 */
function mixedStream(count: number, share: number): { event: BenchEvent; duplicate: boolean }[] {
  const firsts: BenchEvent[] = [];
  return Array.from({ length: count }, (_, index) => {
    const duplicate = firsts.length > 0 && Math.floor((index + 1) * share) > Math.floor(index * share);
    if (duplicate) return { event: firsts[firsts.length - 1 - (index % Math.min(10, firsts.length))], duplicate };
    const event = freshEvent();
    firsts.push(event);
    return { event, duplicate };
  });
}

/** Dollars per million deliveries when `share` of them are duplicates. */
export function perMillion(first: DeliveryCost, duplicate: DeliveryCost, share: number) {
  const mix = (f: (cost: DeliveryCost) => number) => 1e6 * ((1 - share) * f(first) + share * f(duplicate));
  const dynamo = mix((cost) => dynamoDollars(cost.writeUnits, cost.readUnits));
  const lambda = mix((cost) => lambdaDollars(cost.ms));
  return { share, dynamo, lambda, total: dynamo + lambda };
}

/**
 * The duplicate share at which two contenders cost the same (costs are linear in the share),
 * or undefined when their lines do not cross between 0 and 1.
 */
export function breakEvenShare(a: VariantCost, b: VariantCost): number | undefined {
  const at = (v: VariantCost, share: number) => perMillion(v.first, v.duplicate, share).total;
  const gap0 = at(a, 0) - at(b, 0);
  const gap1 = at(a, 1) - at(b, 1);
  if (gap0 === gap1) return undefined;
  const share = gap0 / (gap0 - gap1);
  return share >= 0 && share <= 1 ? share : undefined;
}

/** Mean handler time per first delivery and per duplicate; variants interleaved, rotated each round. */
async function handlerTimes(variants: Variant[], rounds: number, perRound: number) {
  const sums = new Map<string, { first: number[]; duplicate: number[] }>(
    variants.map((variant) => [`${variant.name}/${variant.items}`, { first: [], duplicate: [] }]),
  );
  for (let round = 0; round < rounds; round++) {
    const order = variants.map((_, index) => variants[(index + round) % variants.length]);
    for (const variant of order) {
      const events = Array.from({ length: perRound }, () => freshEvent());
      const samples = sums.get(`${variant.name}/${variant.items}`);
      for (const kind of ['first', 'duplicate'] as const) {
        for (const event of events) {
          const started = performance.now();
          await variant.handle(event, lambdaContext());
          samples?.[kind].push(performance.now() - started);
        }
      }
    }
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return new Map(
    [...sums].map(([key, value]) => [key, { first: mean(value.first), duplicate: mean(value.duplicate) }]),
  );
}

const round = (value: number) => Math.round(value * 100) / 100;
