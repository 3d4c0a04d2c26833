import { createServer } from 'node:http';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalIam } from '../../../local/iam/load-local-iam.js';
import { listenOnLoopback } from '../../../local/loopback-server.js';
import { MissingPrerequisiteError } from '../../../local/prerequisites.js';

// The IAM evaluator (iam-simulate, AGPL-3.0) is an optional peer: without it, enforcing stops the
// start with the prerequisite's sentence, and IAM off still runs, routing the functions' calls.

const withoutEvaluator = { resolves: (name: string) => !name.startsWith('@cloud-copilot/') };
const reached: string[] = [];
let emulator: { url: string; stop(): Promise<void> };
beforeAll(async () => {
  emulator = await listenOnLoopback(
    createServer((request, response) => {
      reached.push(String(request.headers['x-amz-target']));
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end('{}');
    }),
  );
});
afterAll(() => emulator.stop());

describe('local IAM without its evaluator installed', () => {
  it('enforced (the default): stops the start with what to install, its licence and --iam off', async () => {
    const starting = startLocalIam({ upstream: () => emulator.url }, withoutEvaluator);
    await expect(starting).rejects.toBeInstanceOf(MissingPrerequisiteError);
    await expect(starting).rejects.toThrow(/npm install -D @cloud-copilot\/iam-simulate .*AGPL.*`--iam off`/);
  });

  it('off: the functions reach their emulator through it, and the report says nothing was recorded', async () => {
    const iam = await startLocalIam({ mode: 'off', upstream: () => emulator.url }, withoutEvaluator);
    try {
      const dynamo = new DynamoDBClient({
        endpoint: iam.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'TXONCEFn', secretAccessKey: 'local' },
      });
      await dynamo.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: '1' } } }));
      expect(reached).toEqual(['DynamoDB_20120810.GetItem']);
      expect(iam.usageReport()).toEqual({ mode: 'off', functions: [] });
      expect(iam.formatUsageReport()).toMatch(/^IAM off, without its evaluator .*no calls were recorded/);
    } finally {
      await iam.stop();
    }
  });
});

it('with the evaluator installed, enforces', async () => {
  const iam = await startLocalIam({ upstream: () => emulator.url });
  try {
    expect(iam.mode).toBe('enforce');
    expect(iam.formatUsageReport()).toMatch(/^IAM \(enforced\)/);
  } finally {
    await iam.stop();
  }
});
