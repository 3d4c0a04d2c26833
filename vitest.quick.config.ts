import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm test`: every suite of this repository's code as it is here (the library, the handlers,
// the functions, the CDK constructs, the CLI, the 200-schedule checker), against DynamoDB Local
// and moto. Left for `npm run test:all` (vitest.config.ts), which CI runs: what checks the
// package as shipped and the whole pipeline: the tarball in an app outside the repository and
// its checks, `cdk synth` through the CDK CLI, the documentation, whole local stacks (each its
// own emulators and function processes), and the benchmark.
const RELEASE_SUITES = [
  'test/package/**',
  'test/node-majors/**',
  'test/docs/**',
  'test/infra/synth.test.ts',
  'test/local/stack.test.ts',
  'test/local/template/template.test.ts',
  'test/local/iam/stack-iam.test.ts',
  'test/local/stack-recovery.test.ts',
  'test/local/stack-journal.test.ts',
  'test/local/stack-replay.test.ts',
  'test/chaos/chaos.test.ts',
  'test/local/stack-security.test.ts',
  'test/local/stack-user-app.test.ts',
  'test/local/stack-sources.test.ts',
  'test/bench/bench.test.ts',
];

export default defineConfig({
  test: {
    ...base.test,
    exclude: RELEASE_SUITES,
    // no `npm pack`: dist/ is built without types
    globalSetup: ['test/support/quick-setup.ts'],
  },
});
