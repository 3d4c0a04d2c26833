import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type RunningServer, startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { startMotoServer } from '../../local/moto-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    sqsEndpoint: string;
  }
}

const running: RunningServer[] = [];
let runTempDir: string | undefined;

/**
 * Vitest global setup that starts DynamoDB Local and moto server on free ports and hands their
 * endpoints to the tests. On its own it is the setup of the mutation runs (vitest.mutate.config.ts),
 * which test lib/ from source and need no `npm pack`; global-setup.ts adds the pack for
 * `npm run test:all`, quick-setup.ts a build without types for `npm test`.
 */
export async function setup(project: TestProject): Promise<void> {
  // Every temporary folder of this run (cloud assemblies, journals, state files, scratch apps),
  // the test workers' and their child processes' alike, goes under one folder removed at the end.
  runTempDir = mkdtempSync(join(tmpdir(), 'txonce-test-run-'));
  process.env.TMPDIR = runTempDir;
  // If one emulator fails to start, the other is still stopped in teardown.
  const started = await Promise.allSettled([startDynamoDbLocal(), startMotoServer()]);
  for (const result of started) if (result.status === 'fulfilled') running.push(result.value);
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  const [dynamo, moto] = running;
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('sqsEndpoint', moto.endpoint);
}

export async function teardown(): Promise<void> {
  await Promise.all(running.splice(0).map((server) => server.stop()));
  if (runTempDir) rmSync(runTempDir, { recursive: true, force: true });
}
