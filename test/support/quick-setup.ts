import type { TestProject } from 'vitest/node';
import * as emulators from './emulators-setup.js';
import { buildTxonceCode } from './package.js';

/**
 * Global setup of `npm test` (vitest.quick.config.ts): the emulators, and dist/ built without
 * types for the suites that run the CLI and synthesize the stack from the prebuilt functions.
 * No `npm pack`: the suites that test the tarball run in `npm run test:all`.
 */
export async function setup(project: TestProject): Promise<void> {
  const [built, started] = await Promise.allSettled([buildTxonceCode(), emulators.setup(project)]);
  if (built.status === 'rejected' || started.status === 'rejected') {
    await emulators.teardown();
    throw built.status === 'rejected' ? built.reason : (started as PromiseRejectedResult).reason;
  }
}

export const teardown = emulators.teardown;
