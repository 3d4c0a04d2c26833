import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CONSUMER_ENVIRONMENT } from '../lib/contracts/environment.js';
import type { HmacSchemeDefinition, WebhookScheme } from '../lib/index.js';
import { type RunningServer, startDynamoDbLocal } from './dynamodb-local.js';
import { type RunningGateway, startHttpGateway } from './http-gateway.js';
import { startLocalIam } from './iam/load-local-iam.js';
import type { IamMode, IamNotice, LocalIam } from './iam/local-iam.js';
import { Journal } from './journal.js';
import { startMotoServer } from './moto-server.js';
import { type NodeRuntimeOptions, nodeRuntimes } from './node-runtimes.js';
import { freePort, refuseBusyPort } from './processes.js';
import { type Reaper, startReaper } from './reaper.js';
import { receiptsPartner } from './receipts-partner.js';
import { type ReplayReport, replayJournal } from './replay.js';
import { startSqsJournalProxy } from './sqs-journal-proxy.js';
import { Supervisor } from './supervisor.js';
import { appSource, synthesize } from './template/app-source.js';
import { readCloudAssembly, type SynthesizedStack } from './template/cloud-assembly.js';
import { checkTemplate } from './template/emulations.js';
import type { RuntimeNotice } from './template/function-runtime.js';
import { LOCAL_REGION } from './template/intrinsics.js';
import {
  apiReference,
  consumerEnvironment,
  localSecretNames,
  type PipelineNames,
  pipelineNames,
  withVisibilityTimeout,
} from './template/pipeline-names.js';
import { provisionTemplate } from './template/provision-template.js';
import {
  apiRoutes,
  configureFunctions,
  functionReferences,
  type RunningMapping,
  startEventSourceMappings,
  templateFunctions,
} from './template/run-template.js';
import { localWebhookSources, webhookApiOf } from './template/webhook-api.js';

export interface LocalStackOptions {
  /** A synthesized cloud assembly (cdk.out) to run. */
  cdkOut?: string;
  /**
   * Without `cdkOut`: a cloud assembly folder, or a command that synthesizes one (as `cdk --app`).
   * Default: cdk.json's `app` (after its `build`) in `cwd`, synthesized into a temporary folder; else `cwd`/cdk.out.
   */
  app?: string;
  /** The CDK app's folder. Default: this process's working directory. */
  cwd?: string;
  /** With several stacks in the assembly: which one. */
  stackName?: string;
  /** CDK context for the synthesis (e.g. { scheme: 'stripe' }); ignored for an assembly already synthesized. */
  context?: Record<string, string>;
  /** Where the functions' Node.js binaries are cached, and what is said while one installs. */
  nodeRuntimes?: NodeRuntimeOptions;
  /** HTTP port of the webhook endpoint. Default 3000; 0 picks a free one. */
  port?: number;
  /** Fixed ports for the emulators. Default: free ports. */
  dynamoPort?: number;
  sqsPort?: number;
  /** Keep DynamoDB Local's data in this folder across restarts. Default: in memory. */
  dataPath?: string;
  /** The webhook signing secret put in the template's webhook secret. Default: a new random Standard Webhooks secret. */
  secret?: string;
  /** Overrides the template's visibility timeout of the queues functions consume (TXONCE_VISIBILITY_TIMEOUT). */
  visibilityTimeoutSeconds?: number;
  /** Execution environments per function at most (Lambda would scale out further). Default 2. */
  maxEnvironments?: number;
  /** Told each step: the functions' log lines, their environments, the supervisor, the journal. */
  onEvent?: (event: PipelineEvent) => void;
  /** Run the SQS consumers. Default true; false only accepts and queues (to test what a restart re-delivers). */
  consume?: boolean;
  /** Supervision: seconds between emulator health checks (default 2). */
  healthCheckIntervalMs?: number;
  /** An emulator could not be brought back: the stack cannot go on (npm start exits non-zero). */
  onFatal?: (message: string) => void;
  /** IAM: `enforce` (default) authorizes the functions' calls against their roles as AWS does; `off` only records them. */
  iam?: IamMode;
}

export type PipelineEvent =
  /** a line a function logged (Powertools JSON, or plain text) */
  | { stage: 'function'; function: string; line: Record<string, unknown> | string }
  /** an execution environment started, timed out, crashed or failed its init */
  | { stage: 'runtime'; function: string; environment: NonNullable<RuntimeNotice['environment']>; detail?: string }
  | { stage: 'template'; dir: string; stackName: string; notes: string[] }
  /** an invocation by an event source mapping: how many records, and the error if it failed */
  | {
      stage: 'mapping';
      mapping: string;
      records: number;
      error?: string;
      outcomes?: { key: string; failed: boolean }[];
    }
  | { stage: 'receiver'; id: string; status: 'applied' | 'duplicate' }
  /** a function's call IAM denied, or could not check */
  | ({ stage: 'iam' } & IamNotice)
  | { stage: 'supervisor'; level: 'warn' | 'error' | 'info'; message: string }
  | { stage: 'journal'; when: 'start' | 'recovery'; report: ReplayReport; file: string; persistent: boolean };

/** The local names of what `txonce send`, the demo and the CLI look at. */
export interface LocalResources extends PipelineNames {
  /** the example partner's effects ('' unless the consumer names a RECEIPTS_TOPIC_ARN) */
  receiptsTable: string;
}

/** Where each part of the template is reachable locally, for a user's own integration tests. */
export interface LocalUrls {
  /** every API Gateway method of the template, as a local URL */
  endpoints: { method: string; path: string; url: string }[];
  /** the template's queues: logical id -> local queue URL */
  queues: Record<string, string>;
  /** the template's tables: logical id -> local table name */
  tables: Record<string, string>;
}

/** A webhook source of the running pipeline, as `txonce send` needs it. */
export interface LocalSourceEndpoint {
  name: string;
  /** a preset's name, or a definition's `name` */
  scheme: string;
  definition: HmacSchemeDefinition;
  path: string;
  /** where to post */
  url: string;
  /** the URL a scheme that signs it (Square, Twilio) must sign */
  signedUrl: string;
}

export interface LocalStack {
  webhookUrl: string;
  urls: LocalUrls;
  secret: string;
  /** the example partner's endpoint ('' unless the template has its receipts topic) */
  receiptsUrl: string;
  /** the first source's scheme and name (the only one's, without `sources`) */
  scheme: WebhookScheme;
  source: string;
  /** every webhook source of the pipeline, its scheme and URL */
  webhookSources: LocalSourceEndpoint[];
  dynamoEndpoint: string;
  /** SQS for the functions, the demo and the CLI: the journal's proxy, which records each SendMessage, then moto */
  sqsEndpoint: string;
  /** moto server itself (SQS, SNS, Secrets Manager); its port stays the same across restarts */
  motoEndpoint: string;
  /** the cloud assembly it runs */
  cdkOut: string;
  stackName: string;
  resources: LocalResources;
  /** process ids of the emulators (kept current across restarts), so a caller can check nothing is left behind */
  pids: number[];
  /** the file of accepted webhooks replayed after a restart */
  journalFile: string;
  /** what the start replayed from the journal */
  replayed: ReplayReport;
  /** IAM's mode, and the report of grants never used */
  iam: Pick<LocalIam, 'mode' | 'usageReport' | 'formatUsageReport'>;
  stop(): Promise<void>;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * The deployed stack on one machine, built from its synthesized CloudFormation template:
 * DynamoDB Local and moto (SQS, SNS, Secrets Manager) hold the template's tables, queues,
 * topics and secrets; every Lambda function runs its own asset bundle in processes of its own;
 * every event source mapping is a poller; the API's methods are routes of a local gateway.
 * What is emulated and what is not: docs/local-emulation.md. `stop()` ends everything it started.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const notice = (level: 'warn' | 'error' | 'info', message: string) =>
    options.onEvent?.({ stage: 'supervisor', level, message });
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
  };

  try {
    // ports that already answer belong to someone else (or to a stack that was killed): refuse them, before the
    // synthesis (seconds) or anything else
    if (options.port) await refuseBusyPort(options.port, 'PORT', 'local stack');
    if (options.dynamoPort) await refuseBusyPort(options.dynamoPort, 'DYNAMODB_PORT', 'DynamoDB Local');
    if (options.sqsPort) await refuseBusyPort(options.sqsPort, 'SQS_PORT', 'moto server');
    // first, so that what follows is cleaned up even if the stack is killed
    const reaper = startReaper();
    started.push({ stop: async () => reaper.stop() });
    const assembly = loadAssembly(options, started, reaper);
    const { notes } = checkTemplate(assembly.template.Resources);
    options.onEvent?.({ stage: 'template', dir: assembly.dir, stackName: assembly.stackName, notes });
    const runtimes = nodeRuntimes(templateRuntimes(assembly), {
      ...options.nodeRuntimes,
      onProgress: (message) => {
        notice('info', message);
        options.nodeRuntimes?.onProgress?.(message);
      },
    });
    for (const runtime of runtimes.values()) if (runtime.warning) notice('warn', runtime.warning);

    const [dynamoPort, sqsPort] = [options.dynamoPort ?? (await freePort()), options.sqsPort ?? (await freePort())];
    const launchDynamo = () => startDynamoDbLocal({ port: dynamoPort, dataPath: options.dataPath });
    const launchMoto = () => startMotoServer({ port: sqsPort });
    const servers = { dynamo: undefined as RunningServer | undefined, sqs: undefined as RunningServer | undefined };
    started.push({ stop: async () => void (await Promise.all([servers.dynamo?.stop(), servers.sqs?.stop()])) });
    const [dynamoServer, motoServer] = await Promise.allSettled([launchDynamo(), launchMoto()]).then((results) => {
      for (const result of results) if (result.status === 'fulfilled') reaper.watch(result.value.pid);
      [servers.dynamo, servers.sqs] = results.map((result) =>
        result.status === 'fulfilled' ? result.value : undefined,
      );
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      return [servers.dynamo as RunningServer, servers.sqs as RunningServer];
    });
    const pids = [dynamoServer.pid, motoServer.pid].filter((pid): pid is number => typeof pid === 'number');

    // every SendMessage of the functions passes the journal first: a 202 is never lost with moto
    const journalDir = options.dataPath ?? mkdtempSync(join(tmpdir(), 'txonce-journal-'));
    if (!options.dataPath) {
      reaper.remove(journalDir);
      started.push({ stop: async () => rmSync(journalDir, { recursive: true, force: true }) });
    }
    const journal = new Journal(join(journalDir, 'txonce-accepted.ndjson'));
    let eventQueueUrl = '';
    let deadLetterQueueUrl = '';
    let source = '';
    let supervisor: Supervisor | undefined;
    const proxy = await startSqsJournalProxy({
      target: () => motoServer.endpoint,
      holdPublishes: () => supervisor?.recovering('moto server') ?? false,
      onSend: (message) => journal.record(message, { source, eventQueueUrl, deadLetterQueueUrl }),
    });
    started.push(proxy);
    // every call of the functions is authorized against its role first, then goes to its emulator
    const iam = await startLocalIam({
      mode: options.iam,
      upstream: (service) =>
        service === 'dynamodb'
          ? dynamoServer.endpoint
          : ['sqs', 'sns'].includes(service)
            ? proxy.url
            : motoServer.endpoint,
      onNotice: (iamNotice) => options.onEvent?.({ stage: 'iam', ...iamNotice }),
    });
    started.push(iam);

    const region = LOCAL_REGION;
    const dynamo = new DynamoDBClient({ endpoint: dynamoServer.endpoint, region, credentials: LOCAL_CREDENTIALS });
    const streams = new DynamoDBStreamsClient({
      endpoint: dynamoServer.endpoint,
      region,
      credentials: LOCAL_CREDENTIALS,
    });
    const documents = DynamoDBDocumentClient.from(dynamo);
    // queues are created through the IAM gateway, so their URLs (which moto builds from the Host) lead there
    const sqs = new SQSClient({ endpoint: iam.url, region, credentials: LOCAL_CREDENTIALS });
    const sns = new SNSClient({ endpoint: motoServer.endpoint, region, credentials: LOCAL_CREDENTIALS });
    const secrets = new SecretsManagerClient({ endpoint: motoServer.endpoint, region, credentials: LOCAL_CREDENTIALS });
    const s3 = new S3Client({
      endpoint: motoServer.endpoint,
      region,
      credentials: LOCAL_CREDENTIALS,
      forcePathStyle: true,
    });
    const runtimeEnvironment = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL: iam.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };

    const functions = templateFunctions({
      stack: assembly,
      maxEnvironments: options.maxEnvironments ?? 2,
      execPathFor: (runtime) => runtimes.get(runtime)?.execPath,
      onNotice: (runtimeNotice) => {
        if (runtimeNotice.line !== undefined)
          options.onEvent?.({ stage: 'function', function: runtimeNotice.function, line: runtimeNotice.line });
        else if (runtimeNotice.environment)
          options.onEvent?.({
            stage: 'runtime',
            function: runtimeNotice.function,
            environment: runtimeNotice.environment,
            detail: runtimeNotice.detail,
          });
      },
    });
    started.push({ stop: async () => void (await Promise.all([...functions.values()].map((fn) => fn.stop()))) });
    const secret = options.secret ?? `whsec_${randomBytes(24).toString('base64')}`;
    const api = webhookApiOf(assembly, functions);
    const provision = () =>
      provisionTemplate({
        stackName: assembly.stackName,
        template: withVisibilityTimeout(assembly.template, options.visibilityTimeoutSeconds),
        clients: { dynamo, sqs, sns, secrets, s3 },
        // every source's secret is the local one
        secretValues: Object.fromEntries((api?.secretIds ?? []).map((id) => [id, secret])),
        moreReferences: {
          ref: (id) => functionReferences(functions).ref?.(id) ?? apiReference(assembly.template, id),
          getAtt: (id, attribute) =>
            functionReferences(functions).getAtt?.(id, attribute) ??
            (assembly.template.Resources[id]?.Type === 'AWS::ApiGateway::RestApi' && attribute === 'RootResourceId'
              ? 'root'
              : undefined),
        },
      });
    let resources = await provision();
    configureFunctions(assembly, functions, localSecretNames(resources), runtimeEnvironment);
    await iam.configure({ stack: assembly, functions, resources: () => resources });
    const names = pipelineNames(assembly, resources);
    eventQueueUrl = names.queueUrl;
    deadLetterQueueUrl = names.deadLetterQueueUrl;
    const webhookSources = api
      ? localWebhookSources(functions.get(api.functionId)?.spec.environment ?? {}, api.path)
      : [];
    source = webhookSources[0]?.name ?? '';
    const scheme = webhookSources[0]?.scheme as WebhookScheme;

    const replay = async (when: 'start' | 'recovery') => {
      const report = await replayJournal({
        journal,
        dynamo: documents,
        dedupTable: names.dedupTable,
        // straight to moto: a replay is not a new acceptance to journal
        sqs: new SQSClient({ endpoint: motoServer.endpoint, region, credentials: LOCAL_CREDENTIALS }),
        queueUrl: names.queueUrl,
      });
      options.onEvent?.({ stage: 'journal', when, report, file: journal.file, persistent: !!options.dataPath });
      return report;
    };
    const replayed = await replay('start');

    const partner = await receiptsPartner({
      stackName: assembly.stackName,
      topicArn: consumerEnvironment(functions)[CONSUMER_ENVIRONMENT.receiptsTopicArn],
      dynamo,
      documents,
      dedupTable: () => names.dedupTable,
      motoEndpoint: () => servers.sqs?.endpoint ?? '',
      onReceipt: (id, status) => options.onEvent?.({ stage: 'receiver', id, status }),
      onDeliveryFailure: (message) => notice('warn', message),
    });
    if (partner) started.push({ stop: async () => partner.stop() });
    const routes = apiRoutes({ stack: assembly, references: localSecretNames(resources), functions });
    const gateway: RunningGateway = await startHttpGateway({
      port: options.port ?? 3000,
      routes: partner ? [...routes, partner.route] : routes,
    }).catch((error) => {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw new Error(`Port ${options.port} (PORT) is in use: stop what holds it, or choose another PORT.`);
      throw error;
    });
    started.push(gateway);
    const subscribeReceiver = async () => partner?.subscribe(sns, gateway.url);
    await subscribeReceiver();

    let mappings: RunningMapping[] = [];
    const startMappings = async () => {
      mappings = await startEventSourceMappings({
        stack: assembly,
        resources,
        functions,
        clients: { sqs, dynamo, streams },
        maxEnvironments: options.maxEnvironments ?? 2,
        sources: options.consume === false ? ['dynamodb'] : undefined,
        onInvoke: (mapping, report) =>
          options.onEvent?.({
            stage: 'mapping',
            mapping,
            records: report.records,
            outcomes: report.outcomes,
            error: report.error ? ((report.error as Error).message ?? String(report.error)) : undefined,
          }),
      });
    };
    await startMappings();
    started.push({ stop: async () => void (await Promise.all(mappings.map((mapping) => mapping.stop()))) });

    supervisor = new Supervisor({
      intervalMs: options.healthCheckIntervalMs,
      onNotice: notice,
      onFatal: (message) => {
        notice('error', message);
        options.onFatal?.(message);
      },
      onRestarted: async (name, server) => {
        reaper.watch(server.pid);
        if (name === 'DynamoDB Local') servers.dynamo = server;
        else servers.sqs = server;
        pids.splice(0, pids.length, ...[servers.dynamo?.pid, servers.sqs?.pid].filter((pid) => pid !== undefined));
        await Promise.all(mappings.map((mapping) => mapping.stop()));
        if (name === 'DynamoDB Local' && !options.dataPath)
          notice('warn', 'DynamoDB Local kept its data in memory: its tables start empty again.');
        // the same names, so the functions' environments stay right; new stream ARNs for the mappings
        resources = await provision();
        if (name !== 'DynamoDB Local') await subscribeReceiver();
        await startMappings();
        await replay('recovery');
      },
    });
    supervisor.watch(
      { name: 'DynamoDB Local', launch: launchDynamo, healthy: (endpoint) => answers(endpoint, 'POST') },
      dynamoServer,
    );
    supervisor.watch(
      { name: 'moto server', launch: launchMoto, healthy: (endpoint) => answers(`${endpoint}/moto-api/`, 'GET') },
      motoServer,
    );
    started.push({ stop: async () => supervisor.stop() });

    return {
      webhookUrl: `${gateway.url}${api?.path ?? '/webhooks'}`,
      urls: {
        endpoints: routes.map(({ method, path }) => ({ method, path, url: `${gateway.url}${path}` })),
        queues: Object.fromEntries([...resources.queues].map(([id, queue]) => [id, queue.url])),
        tables: Object.fromEntries([...resources.tables].map(([id, table]) => [id, table.name])),
      },
      secret,
      receiptsUrl: partner ? `${gateway.url}/receipts` : '',
      scheme,
      source,
      webhookSources: webhookSources.map(({ configuredUrl, ...one }) => ({
        ...one,
        url: `${gateway.url}${one.path}`,
        // what the ingest verifies a URL-signing scheme against: the configured URL, else the one it rebuilds
        signedUrl: configuredUrl ?? `https://${new URL(gateway.url).host}/${gateway.stage}${one.path}`,
      })),
      dynamoEndpoint: dynamoServer.endpoint,
      sqsEndpoint: proxy.url,
      motoEndpoint: motoServer.endpoint,
      cdkOut: assembly.dir,
      stackName: assembly.stackName,
      resources: { ...names, receiptsTable: partner?.receiptsTable ?? '' },
      pids,
      journalFile: journal.file,
      replayed,
      iam: { mode: iam.mode, usageReport: iam.usageReport, formatUsageReport: iam.formatUsageReport },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function loadAssembly(
  options: LocalStackOptions,
  started: { stop(): Promise<void> }[],
  reaper: Reaper,
): SynthesizedStack {
  const cwd = options.cwd ?? process.cwd();
  const source = options.cdkOut ? { kind: 'assembly' as const, dir: options.cdkOut } : appSource(options.app, cwd);
  if (source.kind === 'assembly') return readCloudAssembly(source.dir, options.stackName);
  const outdir = mkdtempSync(join(tmpdir(), 'txonce-cdk-out-'));
  reaper.remove(outdir);
  started.push({ stop: async () => rmSync(outdir, { recursive: true, force: true }) });
  synthesize(source, { cwd, outdir, context: options.context });
  return readCloudAssembly(outdir, options.stackName);
}

/** The Lambda runtimes the template's functions name (nodejs24.x, …). */
function templateRuntimes(assembly: SynthesizedStack): string[] {
  return Object.values(assembly.template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map((resource) => String(resource.Properties?.Runtime ?? ''));
}

/** Any HTTP answer within 2 s: the emulator is up (DynamoDB Local answers a bare POST with a 400). */
async function answers(url: string, method: string): Promise<void> {
  const response = await fetch(url, { method, signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
}
