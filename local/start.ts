import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readStateFile, stateFilePath } from '../ops/state-file.js';
import { curlExample } from './curl-example.js';
import { describeEvent } from './event-log.js';
import { readStartSettings, SettingsError } from './settings.js';
import { type LocalStack, startLocalStack } from './stack.js';

const STATE_FILE = stateFilePath();

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let stack: LocalStack | undefined;
let stopping = false;

/** Stops everything this process started, removes the state file, and exits with `code`. */
const stop = async (why: string, code: number) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${why}: stopping the gateway, the functions, the pollers, moto and DynamoDB Local...`);
  await stack?.stop();
  if (stack) rmSync(STATE_FILE, { force: true });
  console.log('stopped.');
  process.exit(code);
};
process.on('SIGINT', () => void stop('SIGINT', 0));
process.on('SIGTERM', () => void stop('SIGTERM', 0));
process.on('SIGHUP', () => void stop('SIGHUP', 0));
// `npm start` execs this process, so npm passes SIGTERM and SIGINT on; if whatever started it
// ends without passing a signal on, do not run on as an orphan
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop('the parent process ended', 0);
}, 1000).unref();

try {
  const settings = readStartSettings(process.env);
  const existing = readStateFile<{ pid?: number; webhookUrl?: string }>(STATE_FILE);
  if (existing.state) {
    throw new SettingsError(
      `Another local stack is running (pid ${existing.pid}, ${existing.state.webhookUrl}): stop it (Ctrl-C in its terminal, or kill ${existing.pid}), or give this one its own TXONCE_STATE_FILE.`,
    );
  }
  if (existing.problem) {
    console.log(`Note: ${existing.problem.replace(/; run npm start again.*$/, '')}; replacing it.`);
    rmSync(STATE_FILE, { force: true });
  }
  if (!process.env.TXONCE_CDK_OUT) console.log('Synthesizing the CDK app (infra/app.ts), as cdk synth does...');
  stack = await startLocalStack({
    ...settings,
    cdkOut: process.env.TXONCE_CDK_OUT || undefined,
    stackName: process.env.TXONCE_STACK || undefined,
    context: settings.sources ? { sources: settings.sources.join(',') } : { scheme: settings.scheme },
    onEvent: (event) => {
      const quietStart =
        event.stage === 'journal' && event.when === 'start' && !event.report.replayed && !event.report.torn;
      if (quietStart) return;
      const line = describeEvent(event);
      if (line === undefined) return;
      if (event.stage === 'supervisor' && event.level !== 'info') console.error(line);
      else console.log(line);
      if (event.stage === 'supervisor' && event.level === 'info') writeState();
    },
    onFatal: () => void stop('an emulator could not be brought back', 1),
  });
  writeState();
  console.log(`
txonce local stack ready: ${stack.stackName}, run from its synthesized template (${stack.cdkOut})
  webhook URL     ${stack.webhookSources.map((one) => `POST ${one.url}   (${one.scheme})`).join('\n                  ')}
  signing secret  ${stack.secret}
  DynamoDB Local  ${stack.dynamoEndpoint}   tables ${stack.resources.dedupTable}, ${stack.resources.invoicesTable}, ${stack.resources.customersTable}
  moto server     ${stack.motoEndpoint}   (SQS, SNS, Secrets Manager)
  SQS endpoint    ${stack.sqsEndpoint}   queue ${stack.resources.queueUrl}   (journals each SendMessage, then moto)
  receipts        POST ${stack.receiptsUrl}   (subscribed to the receipts topic the outbox publisher delivers to)
  data            ${settings.dataPath ? `kept in ${settings.dataPath}` : 'in memory (TXONCE_DATA_DIR=folder keeps it)'}
  journal         ${stack.journalFile}   (accepted webhooks, replayed if moto or the stack dies)

Send a signed webhook (paste into a shell). Run the last line again: same webhook-id, so the
consumer absorbs it as a duplicate and the customer total moves once.

${curlExample(stack.scheme, stack.webhookUrl, stack.secret)}

Then: npm run demo   ·   npm run txonce -- dlq list   ·   Ctrl-C stops everything.
`);
} catch (error) {
  // one sentence, never a stack trace: these are settings or the machine, not bugs
  const message = (error as Error).message ?? String(error);
  console.error(
    error instanceof SettingsError ||
      ['PortInUseError', 'UnsupportedResourceError', 'TemplateError'].includes((error as Error).name)
      ? message
      : `npm start: could not start the local stack: ${message}`,
  );
  await stack?.stop().catch(() => undefined);
  process.exit(error instanceof SettingsError || (error as Error).name === 'PortInUseError' ? 2 : 1);
}

function writeState(): void {
  if (!stack) return;
  mkdirSync(dirname(STATE_FILE), { recursive: true });
  writeFileSync(STATE_FILE, JSON.stringify({ ...stack, pid: process.pid, stop: undefined }, null, 2));
}
