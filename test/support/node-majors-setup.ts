import type { TestProject } from 'vitest/node';
import * as emulators from './emulators-setup.js';

/**
 * Global setup of vitest.node-majors.config.ts: checks the run is on the Node.js major it was
 * started for, and reuses the emulators of the run that started it (TXONCE_DYNAMO_ENDPOINT,
 * TXONCE_SQS_ENDPOINT), or starts its own when run by hand.
 */
export async function setup(project: TestProject): Promise<void> {
  const expected = process.env.TXONCE_NODE_MAJOR;
  const major = process.versions.node.split('.')[0];
  if (expected && expected !== major)
    throw new Error(`This run was started for Node.js ${expected} but runs on ${process.version}`);
  const { TXONCE_DYNAMO_ENDPOINT: dynamo, TXONCE_SQS_ENDPOINT: sqs } = process.env;
  if (dynamo && sqs) {
    project.provide('dynamoEndpoint', dynamo);
    project.provide('sqsEndpoint', sqs);
    return;
  }
  await emulators.setup(project);
}

export async function teardown(): Promise<void> {
  await emulators.teardown();
}
