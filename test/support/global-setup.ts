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
  // Packed before any test runs (and before the emulators, so a failed build leaves none
  // running): the CDK tests and the package tests use what it built.
  // TXONCE_TARBALL=<a tarball npm pack made from this tree> skips the pack while you iterate.
  const tarball = process.env.TXONCE_TARBALL ?? packTxonce();
  if (!process.env.TXONCE_TARBALL) packedDir = dirname(tarball);
  await emulators.setup(project);
  project.provide('txonceTarball', tarball);
}

export async function teardown(): Promise<void> {
  await emulators.teardown();
  if (packedDir) rmSync(packedDir, { recursive: true, force: true });
}
