import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The suites that exercise lib/ in this process, for mutation runs (stryker.config.mjs). Left out:
// the packed-tarball and CDK suites (they need `npm pack` and test dist/ and infra/, not lib/),
// the benchmark, and the suites whose time goes to child processes (`npm start`, the CLI, tsc on
// the documentation's snippets): a child process never sees the mutant under test, so they add minutes
// to every run and kill no lib/ mutant that the suites kept here leave alive.
export default defineConfig({
  test: {
    ...base.test,
    exclude: [
      'test/package/**',
      'test/infra/**',
      'test/bench/bench.test.ts',
      // whole local stacks: functions in child processes, never the mutant
      'test/local/stack*.test.ts',
      'test/docs/**',
      'test/local/settings.test.ts',
      // the CLI and txonce send run as child processes (the built dist/cli.js or tsx)
      'test/cli/cli.test.ts',
      'test/cli/arguments.test.ts',
      'test/cli/outbox.test.ts',
      'test/cli/redrive-failed-again.test.ts',
      'test/cli/replay-command.test.ts',
      'test/local/send.test.ts',
      // the suites again on other Node.js majors, in child processes
      'test/node-majors/**',
      // 200 random fault schedules in one 40-second test: it would run again for nearly every
      // mutant of the transaction path, which the fault and concurrency suites cover one by one
      'test/checker/**',
      // its Powertools Metrics output depends on module state another file leaves (isolate: false);
      // it tests the example consumer's logs and metrics, not lib/
      'test/functions/consumer/consumer.test.ts',
      // the same for the ingest's per-source EMF counts
      'test/functions/ingest/sources.test.ts',
      'test/functions/ingest/archive-sources.test.ts',
    ],
    // one module graph for all files of a run: a mutant run loads the SDK once, not per file
    isolate: false,
    // the emulators alone: no `npm pack`, lib/ is tested from source
    globalSetup: ['test/support/emulators-setup.ts'],
  },
});
