import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { WebhookScheme } from '../lib/index.js';
import { curlExample } from './curl-example.js';
import { describeEvent } from './event-log.js';
import { startLocalStack } from './stack.js';
import { stateFilePath } from './state-file.js';

const STATE_FILE = stateFilePath();

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const env = process.env;
const number = (name: string) => (env[name] ? Number(env[name]) : undefined);

const stack = await startLocalStack({
  port: number('PORT') ?? 3000,
  dynamoPort: number('DYNAMODB_PORT'),
  sqsPort: number('SQS_PORT'),
  dataPath: env.TXONCE_DATA_DIR,
  scheme: env.WEBHOOK_SCHEME as WebhookScheme | undefined,
  secret: env.WEBHOOK_SECRET,
  visibilityTimeoutSeconds: number('TXONCE_VISIBILITY_TIMEOUT'),
  onEvent: (event) => console.log(describeEvent(event)),
});

mkdirSync(dirname(STATE_FILE), { recursive: true });
writeFileSync(STATE_FILE, JSON.stringify({ ...stack, stop: undefined }, null, 2));

console.log(`
txonce local stack ready
  webhook URL     POST ${stack.webhookUrl}   (${stack.scheme})
  signing secret  ${stack.secret}
  DynamoDB Local  ${stack.dynamoEndpoint}   tables ${stack.resources.dedupTable}, ${stack.resources.invoicesTable}, ${stack.resources.customersTable}
  moto SQS        ${stack.sqsEndpoint}   queue ${stack.resources.queueUrl}
  receipts        POST ${stack.receiptsUrl}   (the outbox publisher delivers here, signed with ${stack.signingSecret})
  data            ${env.TXONCE_DATA_DIR ? `kept in ${env.TXONCE_DATA_DIR}` : 'in memory (TXONCE_DATA_DIR=folder keeps it)'}

Send a signed webhook (paste into a shell). Run the last line again: same webhook-id, so the
consumer absorbs it as a duplicate and the customer total moves once.

${curlExample(stack.scheme, stack.webhookUrl, stack.secret)}

Then: npm run demo   ·   npm run txonce -- dlq list   ·   Ctrl-C stops everything.
`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the gateway, the poller, moto and DynamoDB Local...`);
  await stack.stop();
  rmSync(STATE_FILE, { force: true });
  console.log('stopped.');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
