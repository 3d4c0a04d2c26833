import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type RunningServer, startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { startMotoServer } from '../../local/moto-server.js';
import { packTxonce } from './package.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    sqsEndpoint: string;
    /** the tarball `npm pack` made for this run (its prepack also built dist/) */
    txonceTarball: string;
  }
}

const running: RunningServer[] = [];
let packedDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  // Packed before any test runs (and before the emulators, so a failed build leaves none
  // running): the CDK tests and the package tests use what it built.
  // TXONCE_TARBALL=<a tarball npm pack made from this tree> skips the pack while you iterate.
  const tarball = process.env.TXONCE_TARBALL ?? packTxonce();
  if (!process.env.TXONCE_TARBALL) packedDir = dirname(tarball);
  const [dynamo, moto] = await Promise.all([startDynamoDbLocal(), startMotoServer()]);
  running.push(dynamo, moto);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('sqsEndpoint', moto.endpoint);
  project.provide('txonceTarball', tarball);
}

export async function teardown(): Promise<void> {
  await Promise.all(running.map((server) => server.stop()));
  if (packedDir) rmSync(packedDir, { recursive: true, force: true });
}
