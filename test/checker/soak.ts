// npm run soak -- --runs 10000 [--seed 42]: the exactly-once checker for as long as you like,
// against its own DynamoDB Local and moto server. Prints progress, the faults injected by kind,
// and on a failure the seed, path and shrunk schedule (CHECKER_SEED / CHECKER_PATH replay it).
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { startMotoServer } from '../../local/moto-server.js';
import type { FaultCounts } from './harness.js';
import { exactlyOnce } from './property.js';
import { createWorld } from './world.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    path: { type: 'string' },
    every: { type: 'string', default: '100' },
  },
});
const runs = Number(values.runs);
const every = Number(values.every);
const seed = values.seed === undefined ? Date.now() ^ (Math.random() * 0x100000000) : Number(values.seed);

const [dynamo, moto] = await Promise.all([startDynamoDbLocal(), startMotoServer()]);
const world = await createWorld({ dynamo: dynamo.endpoint, sqs: moto.endpoint });
const faults: FaultCounts = {};
const started = Date.now();
let count = 0;
const summary = () =>
  `${count} schedules in ${((Date.now() - started) / 1000).toFixed(0)} s; faults injected: ${JSON.stringify(faults)}`;

console.log(`soak: ${runs} schedules, seed ${seed}`);
try {
  const result = await fc.check(
    exactlyOnce(world, faults, () => {
      count++;
      if (count % every === 0) console.log(`soak: ${summary()}`);
    }),
    { numRuns: runs, seed, ...(values.path ? { path: values.path } : {}) },
  );
  if (result.failed) {
    console.error(fc.defaultReportMessage(result));
    console.error(String((result.errorInstance as Error | undefined)?.message ?? result.errorInstance));
    console.error(`soak: FAILED after ${summary()}`);
    process.exitCode = 1;
  } else {
    console.log(`soak: ${runs} schedules, 0 violations. ${summary()}`);
  }
} finally {
  world.destroy();
  await Promise.all([dynamo.stop(), moto.stop()]);
}
