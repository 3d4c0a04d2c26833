import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FaultCounts } from './harness.js';
import { checkSchedule, exactlyOnce, replaySettings } from './property.js';
import { regressions } from './regressions.js';
import { createWorld, type World } from './world.js';

// 200 random fault schedules against the real library, DynamoDB Local and moto's SQS.
// A failure prints the seed, the path and the shrunk schedule: CHECKER_SEED=<seed>
// CHECKER_PATH=<path> npx vitest run test/checker replays it. `npm run soak` runs thousands.

let world: World;
const faults: FaultCounts = {};

beforeAll(async () => {
  world = await createWorld({ dynamo: inject('dynamoEndpoint'), sqs: inject('sqsEndpoint') });
});

afterAll(() => world?.destroy());

describe('exactly-once under random fault schedules', () => {
  it('holds for 200 schedules: each event applied once or dead-lettered with its reason', async () => {
    let runs = 0;
    await fc.assert(
      exactlyOnce(world, faults, () => runs++),
      { numRuns: 200, ...replaySettings() },
    );
    expect(runs).toBeGreaterThanOrEqual(200);
    // the schedules did inject faults of every kind (a checker that injects nothing proves nothing)
    for (const kind of ['lose-response', 'conflict', 'in-progress', 'throttle', 'throw-before-commit', 'hook-throws']) {
      expect(faults[kind], kind).toBeGreaterThan(0);
    }
    console.log(`checker: ${runs} schedules, faults injected: ${JSON.stringify(faults)}`);
  }, 600_000);
});

describe('shrunk schedules kept as regressions', () => {
  it.each(regressions)('$name', async ({ schedule }) => {
    await checkSchedule(world, schedule);
  });
});
