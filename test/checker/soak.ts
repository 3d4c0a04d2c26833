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
    // emulators already running (e.g. another soak's): their own tables keep the runs apart
    dynamo: { type: 'string' },
    sqs: { type: 'string' },
  },
});
const runs = Number(values.runs);
const every = Number(values.every);
const seed = values.seed === undefined ? Date.now() ^ (Math.random() * 0x100000000) : Number(values.seed);

/** A loaded machine can keep an emulator from answering within its start timeout: try again. */
async function started<T>(start: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts) throw error;
      console.error(`soak: ${(error as Error).message.split('\n')[0]}; trying again`);
    }
  }
}

const given = (endpoint: string) => ({ endpoint, stop: async () => undefined });
const [dynamo, moto] = await Promise.all([
  values.dynamo ? given(values.dynamo) : started(() => startDynamoDbLocal()),
  values.sqs ? given(values.sqs) : started(() => startMotoServer()),
]);
const world = await createWorld({ dynamo: dynamo.endpoint, sqs: moto.endpoint });
const faults: FaultCounts = {};
const startedAt = Date.now();
let count = 0;
const summary = () =>
  `${count} schedules in ${((Date.now() - startedAt) / 1000).toFixed(0)} s; faults injected: ${JSON.stringify(faults)}`;

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
