import fc from 'fast-check';
import { type FaultCounts, runSchedule } from './harness.js';
import { violationsOf } from './invariant.js';
import { type Schedule, scheduleArbitrary } from './schedule.js';
import type { World } from './world.js';

/** Runs one schedule and throws, naming every violation, if the promise does not hold. */
export async function checkSchedule(world: World, schedule: Schedule, faults: FaultCounts = {}): Promise<void> {
  const violations = violationsOf(await runSchedule(world, schedule, faults));
  if (violations.length > 0) throw new Error(`exactly-once violated:\n  ${violations.join('\n  ')}`);
}

/** The property: exactly-once holds under every schedule. `onRun` sees each schedule run. */
export function exactlyOnce(world: World, faults: FaultCounts, onRun: () => void = () => undefined) {
  return fc.asyncProperty(scheduleArbitrary(), async (schedule) => {
    onRun();
    await checkSchedule(world, schedule, faults);
  });
}

/** fast-check's settings from the environment: CHECKER_SEED (and CHECKER_PATH) replay a failure. */
export function replaySettings(): { seed?: number; path?: string } {
  const seed = process.env.CHECKER_SEED;
  const path = process.env.CHECKER_PATH;
  return { ...(seed ? { seed: Number(seed) } : {}), ...(path ? { path } : {}) };
}
