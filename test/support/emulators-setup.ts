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

/**
 * Vitest global setup that starts DynamoDB Local and moto server on free ports and hands their
 * endpoints to the tests. On its own it is the setup of the mutation runs (vitest.mutate.config.ts),
 * which test lib/ from source and need no `npm pack`; global-setup.ts adds the pack for `npm test`.
 */
export async function setup(project: TestProject): Promise<void> {
  const [dynamo, moto] = await Promise.all([startDynamoDbLocal(), startMotoServer()]);
  running.push(dynamo, moto);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('sqsEndpoint', moto.endpoint);
}

export async function teardown(): Promise<void> {
  await Promise.all(running.splice(0).map((server) => server.stop()));
}
