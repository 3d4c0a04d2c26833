import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TestProject } from 'vitest/node';
import * as emulators from './emulators-setup.js';
import { packTxonce } from './package.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** the tarball `npm pack` made for this run (its prepack also built dist/) */
    txonceTarball: string;
  }
}

let packedDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  // The pack and the emulators start together (the pack is most of the wait); if either fails,
  // whatever did start is stopped before the error is reported. The CDK tests and the package
  // tests use what the pack built.
  // TXONCE_TARBALL=<a tarball npm pack made from this tree> skips the pack while you iterate.
  const packing = process.env.TXONCE_TARBALL ? Promise.resolve(process.env.TXONCE_TARBALL) : packTxonce();
  const [packed, started] = await Promise.allSettled([packing, emulators.setup(project)]);
  if (packed.status === 'fulfilled' && !process.env.TXONCE_TARBALL) packedDir = dirname(packed.value);
  if (packed.status === 'rejected' || started.status === 'rejected') {
    await teardown();
    throw packed.status === 'rejected' ? packed.reason : (started as PromiseRejectedResult).reason;
  }
  project.provide('txonceTarball', packed.value);
}

export async function teardown(): Promise<void> {
  await emulators.teardown();
  if (packedDir) rmSync(packedDir, { recursive: true, force: true });
}
