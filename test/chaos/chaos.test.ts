import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { synthesizeStack } from '../support/template.js';
import { type ChaosReport, describeChaos, runChaos } from './chaos.js';

// While demos run through `npm start`, DynamoDB Local, moto and a function environment are
// killed at seeded random moments (TXONCE_CHAOS_SEED repeats a run; `npm run chaos -- --minutes
// N --seed S` runs it longer). Every demo must end OK: each customer's total exact, each receipt
// applied once, the poison in the DLQ with its reason. Then nothing may be left running.
it('keeps every effect exact while emulators and function environments are killed', async () => {
  const seed = Number(process.env.TXONCE_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`chaos seed ${seed} (TXONCE_CHAOS_SEED=${seed} repeats this run)`);
  const report: ChaosReport = await runChaos({ minutes: 1, seed, events: 150, cdkOut: synthesizeStack() });
  console.log(describeChaos(report));
  if (report.demos.some((demo) => demo.status !== 0)) {
    const file = join(tmpdir(), `txonce-chaos-${seed}.log`);
    writeFileSync(file, report.stackOutput);
    console.log(`what the stack printed: ${file}`);
  }

  expect(report.demos.length).toBeGreaterThan(0);
  for (const demo of report.demos) {
    expect(demo.status, demo.output).toBe(0);
    expect(demo.output).toContain('OK: every customer');
  }
  expect(new Set(report.kills.map((kill) => kill.target))).toEqual(
    new Set(['DynamoDB Local', 'moto server', 'function environment']),
  );
  expect(report.kills.every((kill) => kill.target === 'function environment' || kill.backAfter !== undefined)).toBe(
    true,
  );
  expect(report.stackExit).toBe(0);
  expect(report.leftRunning).toEqual([]);
  expect(report.stateFileLeft).toBe(false);
}, 420_000);
