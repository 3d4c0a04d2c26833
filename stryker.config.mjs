// Mutation testing of lib/ (`npm run mutate`). scripts/mutation-report.ts turns the JSON report
// into reports/mutation.md, which is committed; the HTML and JSON reports are not.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['lib/**/*.ts'],
  testRunner: 'vitest',
  // the suites that test lib/ in-process, with DynamoDB Local and moto but without `npm pack`
  vitest: { configFile: 'vitest.mutate.config.ts' },
  // each mutant runs only the tests that reached it
  coverageAnalysis: 'perTest',
  // a mutant reached while modules load (a constant, a class body) would run every suite
  ignoreStatic: true,
  // two test runners (each with its own DynamoDB Local and moto) on two cores: the first full run
  // took 87 minutes on an idle machine; a third runner only fights the other two.
  // `-- --concurrency 1` on a shared machine
  concurrency: 2,
  // a mutant whose code and tests did not change since the committed result is not run again;
  // `npm run mutate -- --force` runs every mutant
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  // a killed mutant often makes a test wait for its own timeout; the emulators are slow enough
  timeoutMS: 20_000,
  // the first run, with every suite, takes minutes on two cores
  dryRunTimeoutMinutes: 20,
  reporters: ['json', 'html', 'progress'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  // the sandbox copy needs the sources and tests, not the build outputs
  ignorePatterns: ['dist', 'cdk.out', 'bench/.build', 'coverage', '.dynamodb-local', '.txonce', 'reports', 'docs/api'],
  // `// @ts-nocheck` goes only where mutants and the tests that load them are
  disableTypeChecks: '{lib,test}/**/*.ts',
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
