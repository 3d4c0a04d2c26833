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

export async function setup(project: TestProject): Promise<void> {
  const [dynamo, moto] = await Promise.all([startDynamoDbLocal(), startMotoServer()]);
  running.push(dynamo, moto);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('sqsEndpoint', moto.endpoint);
}

export async function teardown(): Promise<void> {
  await Promise.all(running.map((server) => server.stop()));
}
