#!/usr/bin/env node
// `txonce send`: signs a test webhook for the running local pipeline's scheme and secret, sends
// it, and follows its path: ingest → queue → consumer → committed or duplicate.
import { existsSync, readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { readDeadLetterReason, recordKey, resolveWebhookScheme, type WebhookScheme } from '../lib/index.js';
import { readStateFile, stateFilePath } from '../ops/state-file.js';
import { eventsFilePath } from './events-file.js';
import { signForScheme } from './scheme-signer.js';
import type { LocalSourceEndpoint } from './stack.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** What `txonce local` writes in its state file, as far as `send` reads it. */
interface RunningLocal {
  webhookUrl: string;
  scheme: WebhookScheme;
  secret: string;
  source: string;
  /** every source of the pipeline (absent in a state file of an older txonce local) */
  webhookSources?: LocalSourceEndpoint[];
  dynamoEndpoint: string;
  journalFile: string;
  eventsFile?: string;
  resources: { dedupTable: string; queueUrl: string };
}

const seconds = (value: string) => {
  const number = Number(value);
  if (!(Number.isFinite(number) && number > 0)) throw new InvalidArgumentError('expected a number of seconds above 0.');
  return number;
};
const json = (value: string) => {
  try {
    const parsed = JSON.parse(value);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return value;
  } catch {}
  throw new InvalidArgumentError('expected a JSON object, quoted for the shell.');
};

const program = new Command('txonce send')
  .description(
    "Sign a test webhook with the running local pipeline's scheme and secret, send it, and print the path it took (ingest → queue → consumer → committed or duplicate).",
  )
  .option(
    '--body <json>',
    'the event, as your consumer expects it (default {"type":"test.event"}); stripe\'s key is its id',
    json,
  )
  .option('--source <name>', 'the pipeline source to send to (default: its first, or only, source)')
  .option('--id <id>', 'the event id the key is taken from; the same id again is a duplicate (default: a new one)')
  .option('--timeout <seconds>', 'how long to follow the event', seconds, 30)
  .exitOverride();

const EXIT = { done: 0, failed: 1, usage: 2 } as const;
const print = (step: string, text: string) => console.log(`${step.padEnd(10)}${text}`);

try {
  program.parse();
} catch (error) {
  process.exit(error instanceof CommanderError && error.exitCode === 0 ? EXIT.done : EXIT.usage);
}
const options = program.opts<{ body?: string; id?: string; source?: string; timeout: number }>();

const { state, problem } = readStateFile<RunningLocal & { pid?: number }>(stateFilePath());
if (!state) {
  console.error(
    problem ?? `No local stack is running here (no ${stateFilePath()}): start one with txonce local, in this folder.`,
  );
  process.exit(EXIT.usage);
}

// the source to send to: its scheme as data, its URL, and the namespace its records are kept under
const sources = state.webhookSources ?? [];
const target = options.source ? sources.find((one) => one.name === options.source) : sources[0];
if (options.source && !target) {
  console.error(
    `The running pipeline has no source named ${options.source}: its sources are ${sources.map((one) => one.name).join(', ') || state.source}.`,
  );
  process.exit(EXIT.usage);
}
const scheme = target?.definition ?? resolveWebhookScheme(state.scheme);
const source = target?.name ?? state.source;
const webhookUrl = target?.url ?? state.webhookUrl;

const event = JSON.parse(options.body ?? '{"type":"test.event","data":{}}') as Record<string, unknown>;
// a scheme that reads the id from the body (Stripe, Slack, Square, Paddle): the body's id is the key
const idPath = 'bodyPath' in scheme.id ? scheme.id.bodyPath : undefined;
const bodyId = idPath ? valueAt(event, idPath) : undefined;
if (options.id && bodyId !== undefined && String(bodyId) !== options.id) {
  console.error(
    `--id ${options.id} and the body's ${idPath} ${String(bodyId)} differ: a ${scheme.title ?? scheme.name} event's key is its body's ${idPath}; pass one.`,
  );
  process.exit(EXIT.usage);
}
const id = options.id ?? (bodyId !== undefined ? String(bodyId) : `evt_${Date.now()}`);
// the default body carries the id: for a scheme keyed by the body's digest, the same --id is the same event
if (options.body === undefined) event.id = id;
const signed = signForScheme(scheme, state.secret, {
  id,
  event,
  url: target?.signedUrl ?? webhookUrl.replace(/^http:/, 'https:'),
});
const sentAt = new Date().toISOString();
// posted to the local gateway (http), with the query the signed URL may carry (Twilio's bodySHA256)
const response = await fetch(`${webhookUrl}${new URL(signed.url).search}`, {
  method: 'POST',
  headers: signed.headers,
  body: signed.body,
}).catch((error: Error) => {
  console.error(`The local stack at ${webhookUrl} did not answer (${error.message}): is txonce local still running?`);
  process.exit(EXIT.failed);
});
const answer = await response.text();
if (response.status !== 202) {
  print('ingest', `${response.status} ${answer}: rejected, nothing queued`);
  process.exit(EXIT.failed);
}
const key = String((JSON.parse(answer) as { id?: unknown }).id);
print('ingest', `202 accepted (${source}: ${scheme.name}, key ${key})`);

const dynamo = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    endpoint: state.dynamoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  }),
);
const since = (line: { at?: string }) => (line.at ?? '') >= sentAt;
const lines = (file: string | undefined) =>
  file && existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .flatMap((line) => {
          try {
            return [JSON.parse(line)];
          } catch {
            return []; // being written
          }
        })
    : [];

let queued = false;
let failures = 0;
const deadline = Date.now() + options.timeout * 1000;
while (Date.now() < deadline) {
  const journal = lines(state.journalFile).filter((line) => line.key === key && since(line));
  if (!queued && journal.some((line) => line.message)) {
    queued = true;
    print('queue', `sent to ${state.resources.queueUrl}`);
  }
  const deadLetter = journal.find((line) => line.deadLetter);
  if (deadLetter) {
    const reason = readDeadLetterReason(deadLetter.deadLetter.MessageAttributes);
    print(
      'consumer',
      `dead-lettered: ${reason ? `${reason.errorName}: ${reason.errorMessage}` : 'see txonce dlq list'}`,
    );
    process.exit(EXIT.failed);
  }
  const outcomes = lines(state.eventsFile ?? eventsFilePath(stateFilePath()))
    .filter(since)
    .flatMap((line) => (line.outcomes ?? []).map((outcome: { key: string; failed: boolean }) => ({ ...outcome, line })))
    .filter((outcome) => outcome.key === key);
  for (const failed of outcomes.filter((outcome) => outcome.failed).slice(failures)) {
    failures++;
    print(
      'consumer',
      `failed${failed.line.error ? `: ${failed.line.error}` : ''}; SQS delivers it again after the visibility timeout`,
    );
  }
  if (outcomes.some((outcome) => !outcome.failed)) {
    const { Item } = await dynamo.send(
      new GetCommand({
        TableName: state.resources.dedupTable,
        Key: { pk: recordKey(source, key) },
        ConsistentRead: true,
      }),
    );
    const first = String(Item?.firstSeenAt ?? '');
    if (!Item)
      print(
        'consumer',
        `handled, but no dedup record ${recordKey(source, key)}: the consumer does not use txonce's store?`,
      );
    else if (first >= sentAt) print('committed', `${recordKey(source, key)}  result ${Item.result ?? '(none)'}`);
    else print('duplicate', `${recordKey(source, key)}  (first committed ${first}): absorbed, nothing written again`);
    process.exit(Item ? EXIT.done : EXIT.failed);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}
print(
  'timeout',
  `no outcome for ${key} within ${options.timeout} s: ${queued ? 'still queued or being retried' : 'not queued'} (see txonce local's output)`,
);
process.exit(EXIT.failed);

function valueAt(value: Record<string, unknown>, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, name) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[name] : undefined),
      value,
    );
}
