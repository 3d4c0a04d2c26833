import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inject } from 'vitest';
import { repoRoot } from './package.js';

export type PrebuiltName = 'ingest' | 'publisher' | 'consumer';

/** A prebuilt function as the package ships it (built by the run's pack or build). */
export const bundlePath = (name: PrebuiltName) => join(repoRoot, `dist/functions/${name}/index.mjs`);

/**
 * Invokes a prebuilt bundle's handler once in a fresh process of the Node.js running the tests
 * (so the Node.js major runs repeat it on theirs), with its settings in the environment and the
 * emulators as its AWS; returns its answer and its JSON log lines.
 */
export function invokeBundle(
  name: PrebuiltName,
  event: unknown,
  settings: Record<string, string>,
): { response: unknown; logs: Record<string, unknown>[] } {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundlePath(name)).href)});
    const deadline = Date.now() + 30000;
    const context = { functionName: '${name}', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:1:function:${name}',
      memoryLimitInMB: '512', getRemainingTimeInMillis: () => deadline - Date.now() };
    const response = await handler(JSON.parse(process.env.EVENT), context);
    console.log('RESPONSE ' + JSON.stringify(response));`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...clean,
      ...settings,
      EVENT: JSON.stringify(event),
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      AWS_ENDPOINT_URL_SQS: inject('sqsEndpoint'),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  if (result.status !== 0)
    throw new Error(`the ${name} bundle failed on Node.js ${process.version}:\n${result.stderr}`);
  const lines = result.stdout.split('\n').filter(Boolean);
  const response = JSON.parse((lines.find((line) => line.startsWith('RESPONSE ')) ?? '').slice('RESPONSE '.length));
  // Powertools Logger writes errors and warnings to stderr, the rest to stdout
  const logs = [...lines, ...result.stderr.split('\n')]
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
  return { response, logs };
}
