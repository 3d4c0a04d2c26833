import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// What test/node-majors/node-majors.test.ts runs again on each Node.js major Lambda offers, with
// that major's binary from the npm registry: the handler, batch and middleware suites, and the
// prebuilt function bundles (dist/, built by the outer run). Globs, so new suites of these kinds
// are in without a change here. The outer run's emulators are reused (node-majors-setup.ts).
export const SUITES_ON_EVERY_MAJOR = [
  'test/lib/store/run.test.ts',
  'test/lib/handlers/plain-handler.test.ts',
  'test/**/*middleware*.test.ts',
  'test/lib/batch/sqs*.test.ts',
  'test/lib/batch/stream-*.test.ts',
  'test/lib/batch/batch-*.test.ts',
  'test/lib/batch/time-budget.test.ts',
  'test/package/minified-consumer.test.ts',
  'test/package/prebuilt-bundles.test.ts',
  // these runs only: that each is on the Node.js and the Middy it was started for
  'test/support/node-major-run.check.ts',
];

const MAJORS_DIR = fileURLToPath(new URL('test/node-majors/node_modules', import.meta.url));
// TXONCE_MIDDY=7: the suites import Middy 7 (test/node-majors/package.json) instead of the repository's 6
const middy7 = [{ find: /^@middy\/([^/]+)(.*)$/, replacement: `${MAJORS_DIR}/@middy/$1$2` }];

export default defineConfig({
  resolve: { alias: process.env.TXONCE_MIDDY === '7' ? middy7 : [] },
  test: {
    ...base.test,
    include: SUITES_ON_EVERY_MAJOR,
    globalSetup: ['test/support/node-majors-setup.ts'],
  },
});
