// `npm run mutate [-- <stryker options>]`: StrykerJS on lib/ (stryker.config.mjs), then
// reports/mutation.md from its JSON report. Options go to `stryker run` (e.g. --force).
import { spawnSync } from 'node:child_process';

const stryker = spawnSync('npx', ['stryker', 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
if (stryker.status !== 0) process.exit(stryker.status ?? 1);
await import('./mutation-report.js');
