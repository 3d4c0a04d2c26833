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
  // The pack and the emulators start together (the pack is most of the wait); if either fails,
  // whatever did start is stopped before the error is reported. The CDK tests and the package
  // tests use what the pack built.
  // TXONCE_TARBALL=<a tarball npm pack made from this tree> skips the pack while you iterate.
  const packing = process.env.TXONCE_TARBALL ? Promise.resolve(process.env.TXONCE_TARBALL) : packTxonce();
  const started = await Promise.allSettled([packing, startDynamoDbLocal(), startMotoServer()]);
  for (const result of started.slice(1)) {
    if (result.status === 'fulfilled') running.push(result.value as RunningServer);
  }
  if (started[0].status === 'fulfilled' && !process.env.TXONCE_TARBALL) packedDir = dirname(started[0].value);
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await teardown();
    throw failed.reason;
  }
  const [tarball, dynamo, moto] = started.map((result) => (result as PromiseFulfilledResult<unknown>).value) as [
    string,
    RunningServer,
    RunningServer,
  ];
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('sqsEndpoint', moto.endpoint);
  project.provide('txonceTarball', tarball);
}

export async function teardown(): Promise<void> {
  await Promise.all(running.splice(0).map((server) => server.stop()));
  if (packedDir) rmSync(packedDir, { recursive: true, force: true });
}
