import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { describeChaos, runChaos } from './chaos.js';

// npm run chaos -- --minutes N --seed S: the fault run of test/chaos/chaos.test.ts, as long as you like.
const number = (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive number.');
  return parsed;
};
const options = new Command('chaos')
  .description(
    'Kill DynamoDB Local, moto and function environments at random moments while demos run; check every total.',
  )
  .option('--minutes <n>', 'how long to go on killing and starting demos', number, 5)
  .option('--seed <n>', 'the random seed (printed, to repeat a run)', number, Math.floor(Math.random() * 2 ** 31))
  .option('--events <n>', 'webhooks per demo', number, 300)
  .parse()
  .opts<{ minutes: number; seed: number; events: number }>();

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const report = await runChaos({ ...options, log: (line) => console.log(line) });
console.log(`\n${describeChaos(report)}`);
const failed =
  report.demos.some((demo) => demo.status !== 0) ||
  report.leftRunning.length > 0 ||
  report.stateFileLeft ||
  report.stackExit !== 0;
if (failed) {
  const file = join(tmpdir(), `txonce-chaos-${options.seed}.log`);
  writeFileSync(file, report.stackOutput);
  console.log(`\nFAILED. What the stack printed: ${file}`);
}
process.exit(failed ? 1 : 0);
