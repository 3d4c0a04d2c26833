import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import SlowFirst from './test/support/slow-first.js';

// The SDK warns on Node 20 about a future Node 22 floor; Lambda runs 22+, the tests run here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `npm run test:all`: every suite (CI runs this); vitest.quick.config.ts is `npm test`, its quick part.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // generous: on two shared cores a CDK synth or a CLI start can take a minute; a hang still ends
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Vitest's default is one worker less than the cores: one on a 2-core machine, every file in
    // turn. Most files wait on emulators and child processes, so a worker per core keeps both busy.
    maxWorkers: Math.max(2, availableParallelism()),
    sequence: { sequencer: SlowFirst },
  },
});
