import { fileURLToPath } from 'node:url';
import { resultsMarkdown, targets } from './report.js';
import type { Scale } from './results.js';
import { runBenchmark } from './run.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const scale: Scale = process.argv.includes('--tiny') ? 'tiny' : 'full';
const outDir = fileURLToPath(new URL('.', import.meta.url));
const started = Date.now();
const results = await runBenchmark({ scale, outDir, log: (line) => console.error(`… ${line}`) });

console.log(
  resultsMarkdown(results)
    .replace(/^!\[latency.*$/m, '(chart: bench/results.svg)')
    .replace(/^!\[dollars.*$/m, '(chart: bench/cost.svg)'),
);
const missed = targets(results).filter((target) => !target.met);
if (missed.length > 0) console.log(`Targets missed: ${missed.map((target) => target.target).join('; ')}`);
console.log(
  `wrote bench/RESULTS.md, bench/results.svg and bench/cost.svg in ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
console.log(`first-delivery latency ratio txonce/peer: ${results.ratios.latencyTxoncePeer}`);
console.log(
  `cost ratio txonce(default)/peer(transactional write) at 25% duplicates: ${results.ratios.costDefaultPeerTransactional}`,
);
console.log(`cost per million events ratio txonce/peer: ${results.ratios.costTxoncePeer}`);
