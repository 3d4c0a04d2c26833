import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readDeadLetterReason } from '../../lib/index.js';
import { freePort } from '../../local/processes.js';
import {
  createOutsideApp,
  type OutsideApp,
  output,
  projectCommands,
  runProjectCommands,
  writeQuickStartFiles,
} from '../support/outside-app.js';
import { repoRoot } from '../support/package.js';
import type { ReadmeBlock } from '../support/readme.js';
import { eventually } from '../support/sqs.js';

// A user's project outside this repository: the packed tarball and public packages only, set up
// in an empty directory with the README's Install commands and the files and commands of
// docs/getting-started.md, as printed. Nothing is added by hand. Every package at this
// repository's locked version; latest-versions.test.ts installs them unpinned.

let outside: OutsideApp;
let app: string;
let quickStart: ReadmeBlock[];
const run: OutsideApp['run'] = (...args) => outside.run(...args);
const runAsync: OutsideApp['runAsync'] = (...args) => outside.runAsync(...args);

/** The guide's shell block that holds `text`: the commands a user types, as printed. */
function guideCommands(text: string): string {
  const block = quickStart.find((candidate) => candidate.language === 'sh' && candidate.code.includes(text));
  if (!block) throw new Error(`docs/getting-started.md has no sh block with ${text}`);
  return block.code;
}

/** The repository's own version of a package, so the install is answered from npm's cache. */
function pinned(name: string): string {
  const manifest = join(repoRoot, 'node_modules', name, 'package.json');
  return `${name}@${JSON.parse(readFileSync(manifest, 'utf8')).version}`;
}

beforeAll(() => {
  outside = createOutsideApp();
  app = outside.dir;
  quickStart = outside.blocks;

  // The README's project lines in an empty directory: package.json from `npm init` and `npm pkg`,
  // then the installs, with the tarball this run packed and versions pinned.
  const commands = projectCommands(quickStart);
  expect(commands.filter((line) => line.command === 'install').length).toBeGreaterThanOrEqual(3);
  expect(commands[0].command).toBe('init');
  runProjectCommands(outside, commands, (words) =>
    run('npm', [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      ...words.map((word) => {
        if (word.endsWith('.tgz')) return inject('txonceTarball');
        return word.startsWith('-') ? word : pinned(word);
      }),
    ]),
  );
  expect(JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).type).toBe('module');
  writeQuickStartFiles(outside);
}, 300_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

describe('the packed tarball in an app outside the repository', () => {
  it('installs with public dependencies only: none of the packages txonce builds its functions from', () => {
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/txonce/package.json'), 'utf8'));
    expect(installed.name).toBe('txonce');
    for (const buildOnly of ['@aws-lambda-powertools/logger', 'tsup', 'commander', 'stripe']) {
      expect(existsSync(join(app, 'node_modules', buildOnly)), buildOnly).toBe(false);
    }
    for (const name of ['ingest', 'publisher', 'consumer']) {
      expect(existsSync(join(app, `node_modules/txonce/dist/functions/${name}/index.mjs`)), name).toBe(true);
    }
  });

  it.each([
    [
      'import',
      'mjs',
      `import { Idempotency, PermanentError } from 'txonce';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';`,
    ],
    [
      'require',
      'cjs',
      `const { Idempotency, PermanentError } = require('txonce');
const { CreateTableCommand, DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, GetCommand } = require('@aws-sdk/lib-dynamodb');`,
    ],
  ])('loads with %s and runs one delivery and one duplicate against DynamoDB Local', (_how, extension, load) => {
    const script = join(app, `delivery.${extension}`);
    writeFileSync(script, `${load}\n${DELIVERY_SCRIPT}`);
    const result = run('node', [script], { DYNAMO_ENDPOINT: inject('dynamoEndpoint') });
    expect(result.status, output(result)).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1) as string);
    expect(report).toEqual({
      statuses: ['committed', 'duplicate'],
      duplicateResult: { invoice: 'inv_1' },
      paidTotal: 1250,
      errorName: 'PermanentError',
    });
  });

  it.concurrent('type-checks every snippet of docs/getting-started.md as printed (strict, NodeNext)', async ({
    expect,
  }) => {
    const tsconfig = JSON.parse(readFileSync(join(app, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, module: 'NodeNext' });
    const snippets = quickStart.filter((block) => block.language === 'ts').map((block) => block.title);
    expect(snippets).toEqual(
      expect.arrayContaining(['src/store.ts', 'src/create-order.ts', 'src/consumer.ts', 'infra/app.ts']),
    );
    const result = await runAsync('npx', ['tsc', '--noEmit', '-p', '.']);
    expect(result.status, output(result)).toBe(0);
  }, 240_000);

  it.concurrent("synthesizes the getting-started guide's CDK app (txonce/cdk with its own consumer entry) under cdk-nag", async ({
    expect,
  }) => {
    // the guide's feature flags: then the CDK CLI has none to call unconfigured
    const flags = await runAsync('bash', ['-e', '-c', guideCommands('cdk flags')]);
    expect(flags.status, output(flags)).toBe(0);
    const result = await runAsync('npx', ['cdk', 'synth', '--no-notices', '-q', '-o', 'cdk.out']);
    expect(result.status, output(result)).toBe(0);
    expect(output(result)).not.toMatch(/feature flags are not configured/);
    const template = JSON.parse(readFileSync(join(app, 'cdk.out/billing-webhooks.template.json'), 'utf8'));
    // not aws-cdk-lib's AwsCustomResource provider (it sets the DLQ's redrive-allow policy at deploy)
    const functions = Object.entries(template.Resources as Record<string, { Type: string; Properties: CfnProps }>)
      .filter(
        ([id, resource]) =>
          resource.Type === 'AWS::Lambda::Function' && !id.startsWith('AWS679f53fac002430cb0da5b7982bd2287'),
      )
      .map(([, resource]) => resource)
      .map((resource) => resource.Properties);
    // ingest, prebuilt in the package; the consumer, bundled here from src/consumer.ts
    expect(functions.map((fn) => fn.Handler).sort()).toEqual(['index.handler', 'index.handler']);
    const consumer = functions.find((fn) => fn.Environment?.Variables?.CUSTOMERS_TABLE);
    const s3Key = String(consumer?.Code.S3Key);
    const assets = readdirSync(join(app, 'cdk.out')).filter((name) => name.startsWith('asset.'));
    const consumerAsset = assets.find((name) => s3Key.startsWith(name.slice('asset.'.length)));
    const bundle = readFileSync(join(app, 'cdk.out', consumerAsset as string, 'index.mjs'), 'utf8');
    expect(bundle).toContain('amount must be positive'); // the user's handler, not the example consumer
  }, 240_000);

  // Issue #29's Done-when: the app's own consumer and business table, from its template, through
  // `txonce local` and `txonce send` as the guide's "Run it locally" prints them.
  it("runs the app's own pipeline with txonce local as the guide prints it: a sent webhook commits once, the resend is a duplicate", async () => {
    const local = await startGuideLocal();
    try {
      const sent = run('bash', ['-e', '-c', guideCommands('npx txonce send')]);
      expect(sent.status, `${output(sent)}\n${local.output()}`).toBe(0);
      const steps = [...sent.stdout.matchAll(/^(ingest|queue|committed|duplicate|consumer|timeout)\b/gm)].map(
        ([, step]) => step,
      );
      expect(steps, output(sent)).toEqual(['ingest', 'queue', 'committed', 'ingest', 'queue', 'duplicate']);
      expect(sent.stdout).toMatch(/committed stripe#evt_2 +result \{"invoice":"inv_2"\}/);
      // the consumer that ran is the app's own (src/consumer.ts), on the template's Node.js
      expect(local.output()).not.toMatch(/this machine's Node\.js/);
      // its own business table, written once: the resend changed nothing
      expect((await customerOf(runningStack(), 'cus_2'))?.paidTotal).toBe(1250);
    } finally {
      await local.stop();
    }
  }, 240_000);

  // Issue #29's Done-when, the IAM half: the user drops the consumer's grant on its own table (the
  // guide's app without `tables: [customers]`); its commit is then denied as AWS would deny it.
  it("txonce local denies the app's consumer what its role does not grant: AccessDenied, then the DLQ with that reason", async () => {
    const appSource = readFileSync(join(app, 'infra/app.ts'), 'utf8');
    const grant = /^\s*tables: \[customers\],.*\n/m;
    expect(appSource).toMatch(grant);
    writeFileSync(join(app, 'infra/app-without-grant.ts'), appSource.replace(grant, ''));
    const synth = run('npx', [
      'cdk',
      'synth',
      '--no-notices',
      '-q',
      '-o',
      'cdk.out.without-grant',
      '--app',
      'npx tsx infra/app-without-grant.ts',
    ]);
    expect(synth.status, output(synth)).toBe(0);
    const local = await startLocal('npx txonce local --app cdk.out.without-grant --iam report');
    try {
      const body = JSON.stringify({ id: 'evt_9', invoice: 'inv_9', customer: 'cus_9', amount: 900 });
      const sent = run('npx', ['txonce', 'send', '--body', body]);
      expect(sent.status, `${output(sent)}\n${local.output()}`).toBe(1);
      const denial =
        /User: arn:aws:sts::123456789012:assumed-role\/billing-webhooks-PipelineConsumer\S*Role\S* is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table\/billing-webhooks-Customers\S* because no identity-based policy allows the dynamodb:UpdateItem action/;
      // at once, not after SQS's retries: AccessDeniedError is not retryable
      expect(sent.stdout).toMatch(
        new RegExp(
          `^consumer +dead-lettered: AccessDeniedError: AWS refused the transaction: ${denial.source}\\. Nothing was written\\. Grant the function's role dynamodb:UpdateItem on arn:aws:dynamodb:\\S+:table/billing-webhooks-Customers\\S*, then redrive the event\\.$`,
          'm',
        ),
      );
      expect(sent.stdout).not.toMatch(/SQS delivers it again/);
      // the stack's own line for it (its output is read while this test waits, not during the send)
      await eventually('the stack prints the denial', async () => /!! IAM denied +\S*Consumer/.test(local.output()));
      // the DLQ holds it, with the reason in its txonce.deadLetter attribute
      const state = runningStack();
      const sqs = new SQSClient({
        endpoint: state.sqsEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: state.resources.deadLetterQueueUrl,
          MessageAttributeNames: ['All'],
          MaxNumberOfMessages: 10,
        }),
      );
      expect(Messages).toHaveLength(1);
      expect(Messages[0].Body).toContain('"evt_9"');
      const reason = readDeadLetterReason(Messages[0].MessageAttributes);
      expect(reason).toMatchObject({ errorName: 'AccessDeniedError', receiveCount: 1 });
      expect(reason?.errorMessage).toMatch(denial);
      // nothing was written to the table
      expect(await customerOf(state, 'cus_9')).toBeUndefined();
    } finally {
      await local.stop();
    }
    // --iam report: at stop, the usage report names the denied call
    expect(local.output()).toMatch(/IAM \(enforced\): granted but never used in this run/);
    expect(local.output()).toMatch(
      /^ {2}denied {2}dynamodb:UpdateItem on arn:aws:dynamodb:us-east-1:123456789012:table\/billing-webhooks-Customers/m,
    );
  }, 240_000);

  it('txonce/local starts the same stack from code, as the guide prints it', () => {
    const result = run('npx', ['tsx', 'scripts/local-pipeline.ts'], { PORT: '0' });
    expect(result.status, output(result)).toBe(0);
    expect(result.stdout).toMatch(/^202 \{"id":"evt_3"\}$/m);
    expect(result.stdout).toMatch(/Customers\w+/);
  }, 240_000);

  it("runs the guide's consumer against DynamoDB Local as printed, and txonce inspect finds its record", async () => {
    // The guide's two shells. The first starts DynamoDB Local on a port of this run's own (the
    // guide's DYNAMODB_PORT); the second names that port where the guide prints 8000.
    const port = await freePort();
    const server = spawn('bash', ['-e', '-c', guideCommands('scripts/dynamodb-local.ts')], {
      cwd: app,
      env: outside.env({ DYNAMODB_PORT: String(port) }),
      detached: true,
    });
    let serverOutput = '';
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout.on('data', (chunk) => {
          serverOutput += chunk;
          if (serverOutput.includes('is ready')) resolve();
        });
        server.stderr.on('data', (chunk) => {
          serverOutput += chunk;
        });
        server.on('close', (status) => reject(new Error(`DynamoDB Local ended (${status}):\n${serverOutput}`)));
      });
      const second = guideCommands('deliver-twice').replaceAll(':8000', `:${port}`);
      expect(second).toContain(`http://127.0.0.1:${port}`);
      const result = run('bash', ['-e', '-c', second]);
      expect(result.status, output(result)).toBe(0);
      const statuses = [...result.stdout.matchAll(/"status":"(\w+)"/g)].map(([, status]) => status);
      expect(statuses).toEqual(['committed', 'duplicate']);
      // txonce inspect, as the guide prints it: the record the consumer wrote, under the pipeline's namespace
      expect(result.stdout).toMatch(/stripe#evt_1/);
      expect(result.stdout).toMatch(/inv_1/);
    } finally {
      if (server.pid) process.kill(-server.pid, 'SIGTERM');
    }
  }, 120_000);

  it('runs the txonce CLI from the package bin', () => {
    const result = run('npx', ['txonce', '--help']);
    expect(result.status, output(result)).toBe(0);
    expect(result.stdout).toMatch(/redrive/);
  });
});

// biome-ignore lint/suspicious/noExplicitAny: the state file txonce local writes, read as JSON
type RunningStack = Record<string, any>;

/** What the running `txonce local` wrote to its state file (.txonce/local.json). */
function runningStack(): RunningStack {
  return JSON.parse(readFileSync(join(app, '.txonce/local.json'), 'utf8'));
}

/** The app's Customers item `pk`, read from the running stack's table. */
async function customerOf(state: RunningStack, pk: string): Promise<Record<string, unknown> | undefined> {
  const customers = Object.entries(state.urls.tables as Record<string, string>).find(([id]) =>
    id.startsWith('Customers'),
  )?.[1];
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: state.dynamoEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  return (await dynamo.send(new GetCommand({ TableName: customers, Key: { pk } }))).Item;
}

/**
 * The guide's `txonce local` shell block, running: the synth, then the stack (any free port),
 * resolved once it says it is ready; `stop()` ends it as Ctrl-C would.
 */
function startGuideLocal(): Promise<{ output(): string; stop(): Promise<void> }> {
  return startLocal(guideCommands('npx txonce local --app'));
}

/** `txonce local` run by `script` in the app, resolved once ready; `stop()` ends it as Ctrl-C would. */
async function startLocal(script: string): Promise<{ output(): string; stop(): Promise<void> }> {
  const child = spawn('bash', ['-e', '-c', script], {
    cwd: app,
    env: outside.env({ PORT: '0' }),
    detached: true,
  });
  let text = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (text += chunk));
  const ended = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGINT');
    await ended;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const ready = setInterval(() => {
        if (text.includes('txonce local stack ready')) resolve();
      }, 200);
      ended.then(() => reject(new Error(`txonce local ended:\n${text}`)));
      ended.finally(() => clearInterval(ready));
      setTimeout(() => clearInterval(ready), 200_000);
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { output: () => text, stop };
}

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON
type CfnProps = Record<string, any>;

/** Shared by the ESM and CommonJS scripts: a table, two deliveries of one event, a poison event. */
const DELIVERY_SCRIPT = `
async function main() {
  const raw = new DynamoDBClient({
    endpoint: process.env.DYNAMO_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const client = DynamoDBDocumentClient.from(raw);
  const tableName = 'outside-' + Math.random().toString(36).slice(2, 10);
  await raw.send(new CreateTableCommand({
    TableName: tableName,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  const store = new Idempotency({ client, tableName, source: 'billing' });
  const event = { id: 'evt_1', invoice: 'inv_1', customer: 'cus_1', amount: 1250 };
  const deliver = () => store.run({ key: event.id, fingerprint: event }, async (tx) => {
    tx.update({
      TableName: tableName,
      Key: { pk: event.customer },
      UpdateExpression: 'ADD paidTotal :a',
      ExpressionAttributeValues: { ':a': event.amount },
    });
    return { invoice: event.invoice };
  });
  const first = await deliver();
  const second = await deliver();
  const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { pk: 'cus_1' }, ConsistentRead: true }));
  console.log(JSON.stringify({
    statuses: [first.status, second.status],
    duplicateResult: second.result,
    paidTotal: Item.paidTotal,
    errorName: new PermanentError('x').name,
  }));
}
main().catch((error) => { console.error(error); process.exit(1); });
`;
