#!/usr/bin/env node
// `txonce local` (and the repository's `npm start`): the CDK app's synthesized template, run on
// this machine. The command line and what it prints; the stack itself is stack.ts.
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readStateFile, stateFilePath } from '../ops/state-file.js';
import { curlExample } from './curl-example.js';
import { describeEvent } from './event-log.js';
import { eventsFilePath } from './events-file.js';
import { checkPrerequisites, machine } from './prerequisites.js';
import { IAM_SETTINGS, type IamSetting, readStartSettings, SettingsError } from './settings.js';
import type { LocalStack } from './stack.js';

const STATE_FILE = stateFilePath();
const EVENTS_FILE = eventsFilePath(STATE_FILE);

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const port = (value: string) => {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return number;
};
const contextPair = (value: string, previous: Record<string, string> = {}) => {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError('expected key=value.');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
};

const program = new Command('txonce local')
  .description(
    "Run your CDK app's synthesized template on this machine: DynamoDB Local and moto hold its tables, queues, topics and secrets, its functions run their own bundles on the template's Node.js, its API is a local gateway.",
  )
  .option(
    '--app <dir|command>',
    "a cloud assembly folder (cdk.out) or a command that synthesizes one; default: cdk.json's app here (env TXONCE_CDK_OUT: a folder)",
  )
  .option('--stack <name>', 'the stack to run when the assembly holds several (env TXONCE_STACK)')
  .option('--port <n>', 'the local API port; 0 picks a free one (env PORT; default 3000)', port)
  .option('-c, --context <key=value>', 'CDK context for the synthesis, as cdk synth -c (repeatable)', contextPair)
  .addOption(
    new Option(
      '--iam <mode>',
      "enforce: a call the function's role does not allow fails as on AWS (default); report: enforce, and print the grants no call used when the stack stops; off: calls are only recorded (env TXONCE_IAM)",
    ).choices(IAM_SETTINGS),
  )
  .addHelpText(
    'after',
    '\nAlso read from the environment: DYNAMODB_PORT, SQS_PORT, TXONCE_DATA_DIR, WEBHOOK_SECRET, WEBHOOK_SCHEME, TXONCE_VISIBILITY_TIMEOUT, TXONCE_STATE_FILE (docs/local-emulation.md).',
  )
  .exitOverride();

let stack: LocalStack | undefined;
let stopping = false;
let iamReport = false;

/** Stops everything this process started, removes the state file, and exits with `code`. */
const stop = async (why: string, code: number) => {
  if (stopping) return;
  stopping = true;
  if (stack && iamReport) console.log(`\n${stack.iam.formatUsageReport()}`);
  console.log(`\n${why}: stopping the gateway, the functions, the pollers, moto and DynamoDB Local...`);
  await stack?.stop();
  if (stack) for (const file of [STATE_FILE, EVENTS_FILE]) rmSync(file, { force: true });
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
  program.parse();
} catch (error) {
  // commander has printed its one-line message (or the help)
  process.exit(error instanceof CommanderError && error.exitCode === 0 ? 0 : 2);
}
const flags = program.opts<{
  app?: string;
  stack?: string;
  port?: number;
  context?: Record<string, string>;
  iam?: IamSetting;
}>();

try {
  const settings = readStartSettings(process.env);
  const existing = readStateFile<{ pid?: number; webhookUrl?: string }>(STATE_FILE);
  if (existing.state) {
    throw new SettingsError(
      `Another local stack is running (pid ${existing.pid}, ${existing.state.webhookUrl}): stop it (Ctrl-C in its terminal, or kill ${existing.pid}), or give this one its own TXONCE_STATE_FILE.`,
    );
  }
  if (existing.problem) {
    console.log(`Note: ${existing.problem.replace(/; start txonce local again.*$/, '')}; replacing it.`);
    rmSync(STATE_FILE, { force: true });
  }
  const iam = flags.iam ?? settings.iam;
  const iamMode = iam === 'off' ? 'off' : 'enforce';
  iamReport = iam === 'report';
  checkPrerequisites(machine, { iam: iamMode });
  // loaded after the check: a missing AWS SDK client is then a sentence, not a module error
  const { startLocalStack } = await import('./stack.js');
  const app = flags.app ?? (process.env.TXONCE_CDK_OUT || undefined);
  console.log(
    app ? `Reading the app from ${app}...` : "Synthesizing the CDK app (cdk.json's app), as cdk synth does...",
  );
  mkdirSync(dirname(EVENTS_FILE), { recursive: true });
  writeFileSync(EVENTS_FILE, '');
  stack = await startLocalStack({
    ...settings,
    port: flags.port ?? settings.port,
    iam: iamMode,
    app,
    stackName: flags.stack ?? (process.env.TXONCE_STACK || undefined),
    context: {
      ...(settings.sources
        ? { sources: settings.sources.join(',') }
        : process.env.WEBHOOK_SCHEME
          ? { scheme: settings.scheme }
          : {}),
      ...flags.context,
    },
    onEvent: (event) => {
      // what `txonce send` follows: which keys each consumer invocation handled
      if (event.stage === 'mapping' && event.outcomes)
        appendFileSync(EVENTS_FILE, `${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
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
  console.log(readyText(stack, settings.dataPath));
} catch (error) {
  // one sentence, never a stack trace: these are settings or the machine, not bugs
  const message = (error as Error).message ?? String(error);
  const known = ['PortInUseError', 'UnsupportedResourceError', 'TemplateError', 'MissingPrerequisiteError'];
  console.error(
    error instanceof SettingsError || known.includes((error as Error).name)
      ? message
      : `txonce local: could not start the local stack: ${message}`,
  );
  await stack?.stop().catch(() => undefined);
  process.exit(error instanceof SettingsError || (error as Error).name === 'PortInUseError' ? 2 : 1);
}

function writeState(): void {
  if (!stack) return;
  mkdirSync(dirname(STATE_FILE), { recursive: true });
  writeFileSync(
    STATE_FILE,
    JSON.stringify({ ...stack, pid: process.pid, eventsFile: EVENTS_FILE, stop: undefined }, null, 2),
  );
}

function readyText(stack: LocalStack, dataPath: string | undefined): string {
  const column = (rows: [string, string][]) =>
    rows.map(([name, value]) => `${name}  ${value}`).join('\n                  ');
  const { urls, resources } = stack;
  return `
txonce local stack ready: ${stack.stackName}, run from its synthesized template (${stack.cdkOut})
  webhook URL     ${stack.webhookSources.map((one) => `POST ${one.url}   (${one.scheme})`).join('\n                  ')}
  signing secret  ${stack.secret}
  API             ${urls.endpoints.map((endpoint) => `${endpoint.method} ${endpoint.url}`).join('\n                  ')}
  tables          ${column(Object.entries(urls.tables))}
  queues          ${column(Object.entries(urls.queues))}
  DynamoDB Local  ${stack.dynamoEndpoint}
  moto server     ${stack.motoEndpoint}   (SQS, SNS, Secrets Manager)
  SQS endpoint    ${stack.sqsEndpoint}   (journals each SendMessage, then moto)${stack.receiptsUrl ? `\n  receipts        POST ${stack.receiptsUrl}   (subscribed to the receipts topic the outbox publisher delivers to)` : ''}
  data            ${dataPath ? `kept in ${dataPath}` : 'in memory (TXONCE_DATA_DIR=folder keeps it)'}
  journal         ${stack.journalFile}   (accepted webhooks, replayed if moto or the stack dies)

Send a signed test webhook from another shell: txonce send (--body '<json>' for your consumer's payload;
the same --id again is a duplicate), or paste this; run its last line again: same id, so the
consumer absorbs it as a duplicate.

${curlExample(stack.scheme, stack.webhookUrl, stack.secret)}

Then: txonce dlq list · txonce inspect ${stack.source} <id> · Ctrl-C stops everything (dedup table ${resources.dedupTable}).
`;
}
