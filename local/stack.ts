import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CONSUMER_ENVIRONMENT, INGEST_ENVIRONMENT } from '../lib/contracts/environment.js';
import type { WebhookScheme } from '../lib/index.js';
import { type RunningServer, startDynamoDbLocal } from './dynamodb-local.js';
import { type RunningGateway, startHttpGateway } from './http-gateway.js';
import { type IamMode, type IamNotice, type LocalIam, startLocalIam } from './iam/local-iam.js';
import { Journal } from './journal.js';
import { startMotoServer } from './moto-server.js';
import { freePort, refuseBusyPort } from './processes.js';
import { type Reaper, startReaper } from './reaper.js';
import { receiptReceiver } from './receipt-receiver.js';
import { type ReplayReport, replayJournal } from './replay.js';
import { snsDeliveryRetries } from './sns-delivery-retries.js';
import { snsSignatureProblem } from './sns-signature.js';
import { startSqsJournalProxy } from './sqs-journal-proxy.js';
import { Supervisor } from './supervisor.js';
import { readCloudAssembly, type SynthesizedStack, synthesizeApp } from './template/cloud-assembly.js';
import { checkTemplate, TemplateError } from './template/emulations.js';
import type { LocalFunction, RuntimeNotice } from './template/function-runtime.js';
import { LOCAL_REGION, resolveIntrinsics } from './template/intrinsics.js';
import { type ProvisionedResources, provisionTemplate } from './template/provision-template.js';
import {
  apiRoutes,
  configureFunctions,
  functionReferences,
  type RunningMapping,
  startEventSourceMappings,
  templateFunctions,
} from './template/run-template.js';

export interface LocalStackOptions {
  /** A synthesized cloud assembly (cdk.out) to run. Default: synthesize infra/app.ts into a temporary folder. */
  cdkOut?: string;
  /** With several stacks in the assembly: which one. */
  stackName?: string;
  /** CDK context for the synthesis (e.g. { scheme: 'stripe' }); ignored with `cdkOut`. */
  context?: Record<string, string>;
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
  | { stage: 'mapping'; mapping: string; records: number; error?: string }
  | { stage: 'receiver'; id: string; status: 'applied' | 'duplicate' }
  /** a function's call IAM denied, or could not check */
  | ({ stage: 'iam' } & IamNotice)
  | { stage: 'supervisor'; level: 'warn' | 'error' | 'info'; message: string }
  | { stage: 'journal'; when: 'start' | 'recovery'; report: ReplayReport; file: string; persistent: boolean };

/** The local names of what the demo and the CLI look at. */
export interface LocalResources {
  dedupTable: string;
  invoicesTable: string;
  customersTable: string;
  outboxTable: string;
  /** the local receipt receiver's effects (not in the template: the receiver stands for a partner) */
  receiptsTable: string;
  outboxFailureQueueUrl: string;
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

export interface LocalStack {
  webhookUrl: string;
  secret: string;
  receiptsUrl: string;
  scheme: WebhookScheme;
  source: string;
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
    const api = apiFunction(assembly, functions);
    const provision = () =>
      provisionTemplate({
        stackName: assembly.stackName,
        template: withVisibilityTimeout(assembly, options.visibilityTimeoutSeconds),
        clients: { dynamo, sqs, sns, secrets },
        secretValues: api?.secretId ? { [api.secretId]: secret } : {},
        moreReferences: {
          ref: (id) => functionReferences(functions).ref?.(id) ?? apiReference(assembly, id),
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
    const localResources = await localNames(assembly, resources, dynamo);
    eventQueueUrl = localResources.queueUrl;
    deadLetterQueueUrl = localResources.deadLetterQueueUrl;
    source = api ? (functions.get(api.functionId)?.spec.environment[INGEST_ENVIRONMENT.source] ?? '') : '';
    const scheme = (
      api ? functions.get(api.functionId)?.spec.environment[INGEST_ENVIRONMENT.scheme] : undefined
    ) as WebhookScheme;

    const replay = async (when: 'start' | 'recovery') => {
      const report = await replayJournal({
        journal,
        dynamo: documents,
        dedupTable: localResources.dedupTable,
        // straight to moto: a replay is not a new acceptance to journal
        sqs: new SQSClient({ endpoint: motoServer.endpoint, region, credentials: LOCAL_CREDENTIALS }),
        queueUrl: localResources.queueUrl,
      });
      options.onEvent?.({ stage: 'journal', when, report, file: journal.file, persistent: !!options.dataPath });
      return report;
    };
    const replayed = await replay('start');

    const receiptsTopic = consumerEnvironment(functions)[CONSUMER_ENVIRONMENT.receiptsTopicArn];
    const certificates = new Map<string, Promise<string>>();
    const motoCertificate = (url: string) => {
      if (!certificates.has(url)) certificates.set(url, snsCertificateFromMoto(servers.sqs?.endpoint ?? '', url));
      return certificates.get(url) as Promise<string>;
    };
    // moto delivers a notification once; SNS retries a failed delivery, so this does it for moto
    const snsRetries = snsDeliveryRetries({
      onFailure: (delivery, why, retryInMs) =>
        notice(
          'warn',
          `The receipts topic's delivery ${delivery} to /receipts failed (${why}); ${retryInMs === undefined ? 'SNS gives up, as its delivery policy says' : `SNS delivers it again in ${retryInMs / 1000} s`}.`,
        ),
    });
    started.push({ stop: async () => snsRetries.stop() });
    const gateway: RunningGateway = await startHttpGateway({
      port: options.port ?? 3000,
      routes: [
        ...apiRoutes({ stack: assembly, references: localSecretNames(resources), functions }),
        {
          // a partner subscribed to the receipts topic, built on txonce: applies each receipt once
          method: 'POST',
          path: '/receipts',
          handler: snsRetries.wrap(
            receiptReceiver({
              dynamo: documents,
              dedupTable: localResources.dedupTable,
              receiptsTable: localResources.receiptsTable,
              verify: (notification) =>
                snsSignatureProblem(notification, { topicArn: receiptsTopic ?? '', certificate: motoCertificate }),
              onReceipt: (id, status) => options.onEvent?.({ stage: 'receiver', id, status }),
            }),
          ),
        },
      ],
    }).catch((error) => {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw new Error(`Port ${options.port} (PORT) is in use: stop what holds it, or choose another PORT.`);
      throw error;
    });
    started.push(gateway);
    const receiptsUrl = `${gateway.url}/receipts`;
    const subscribeReceiver = async () => {
      if (receiptsTopic)
        await sns.send(new SubscribeCommand({ TopicArn: receiptsTopic, Protocol: 'http', Endpoint: receiptsUrl }));
    };
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
      secret,
      receiptsUrl,
      scheme,
      source,
      dynamoEndpoint: dynamoServer.endpoint,
      sqsEndpoint: proxy.url,
      motoEndpoint: motoServer.endpoint,
      cdkOut: assembly.dir,
      stackName: assembly.stackName,
      resources: localResources,
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
  if (options.cdkOut) return readCloudAssembly(options.cdkOut, options.stackName);
  const outdir = mkdtempSync(join(tmpdir(), 'txonce-cdk-out-'));
  reaper.remove(outdir);
  started.push({ stop: async () => rmSync(outdir, { recursive: true, force: true }) });
  synthesizeApp({ outdir, context: options.context });
  return readCloudAssembly(outdir, options.stackName);
}

/** TXONCE_VISIBILITY_TIMEOUT: the one deliberate local override of the template (quick retries to watch). */
function withVisibilityTimeout(assembly: SynthesizedStack, seconds: number | undefined): SynthesizedStack['template'] {
  if (seconds === undefined) return assembly.template;
  const consumed = new Set(
    Object.values(assembly.template.Resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping')
      .map((resource) => JSON.stringify(resource.Properties?.EventSourceArn)),
  );
  const resources = Object.fromEntries(
    Object.entries(assembly.template.Resources).map(([id, resource]) => {
      const consumedQueue =
        resource.Type === 'AWS::SQS::Queue' && consumed.has(JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }));
      return [
        id,
        consumedQueue ? { ...resource, Properties: { ...resource.Properties, VisibilityTimeout: seconds } } : resource,
      ];
    }),
  );
  return { ...assembly.template, Resources: resources };
}

/** Locally a secret's Ref is its name (Secrets Manager takes either): moto's ARNs change with every restart. */
function localSecretNames(resources: ProvisionedResources): ProvisionedResources['references'] {
  return {
    ref: (id) => resources.secrets.get(id)?.name ?? resources.references.ref(id),
    getAtt: (id, attribute) => resources.references.getAtt(id, attribute),
  };
}

/** Refs of the API's parts: the API is "local", a stage its name, the others their logical ids. */
function apiReference(assembly: SynthesizedStack, id: string): string | undefined {
  const type = assembly.template.Resources[id]?.Type;
  if (type === 'AWS::ApiGateway::RestApi') return 'local';
  if (type === 'AWS::ApiGateway::Stage') return String(assembly.template.Resources[id].Properties?.StageName);
  if (type?.startsWith('AWS::ApiGateway::')) return id;
  return undefined;
}

/** The function behind the API (the webhook ingest), its path, and the secret it verifies with. */
function apiFunction(
  assembly: SynthesizedStack,
  functions: Map<string, LocalFunction>,
): { functionId: string; path: string; secretId?: string } | undefined {
  const resources = assembly.template.Resources;
  for (const [, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::ApiGateway::Method') continue;
    const uri = JSON.stringify(resource.Properties?.Integration);
    const functionId = [...functions.keys()].find((id) => uri.includes(`"${id}"`));
    if (!functionId) continue;
    const resourceId = (resource.Properties?.ResourceId as { Ref?: string })?.Ref;
    const path = `/${resourceId ? resources[resourceId]?.Properties?.PathPart : ''}`;
    const variables = (resources[functionId].Properties?.Environment as { Variables?: Record<string, unknown> })
      ?.Variables;
    const secretId = (variables?.[INGEST_ENVIRONMENT.secretId] as { Ref?: string } | undefined)?.Ref;
    return { functionId, path, secretId };
  }
  return undefined;
}

/** The SQS-triggered consumer's environment (its tables and topic). */
function consumerEnvironment(functions: Map<string, LocalFunction>): Record<string, string> {
  return (
    [...functions.values()].find(
      (fn) =>
        fn.spec.environment[CONSUMER_ENVIRONMENT.dedupTable] &&
        fn.spec.environment[CONSUMER_ENVIRONMENT.deadLetterQueueUrl],
    )?.spec.environment ?? {}
  );
}

/** Names the demo and the CLI use, from the template's outputs and the consumer's environment. */
async function localNames(
  assembly: SynthesizedStack,
  resources: ProvisionedResources,
  dynamo: DynamoDBClient,
): Promise<LocalResources> {
  const outputs: Record<string, string> = {};
  for (const [id, output] of Object.entries(assembly.template.Outputs ?? {})) {
    const name = id.replace(/[0-9A-F]{8}$/, '').replace(/^Pipeline/, '');
    try {
      outputs[name] = String(resolveIntrinsics(output.Value, localSecretNames(resources), `Outputs.${id}`));
    } catch {
      // an output of something not emulated (the dashboard, the API URL): not needed locally
    }
  }
  const consumer = [...resources.queues.values()];
  const queue = consumer.find((candidate) => candidate.url === outputs.QueueUrl);
  const deadLetterQueue = consumer.find((candidate) => candidate.url === outputs.DeadLetterQueueUrl);
  const envOf = (variable: string) => {
    for (const resource of Object.values(assembly.template.Resources)) {
      const value = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables?.[variable];
      if (value !== undefined) return String(resolveIntrinsics(value, resources.references, variable));
    }
    return '';
  };
  if (!queue || !deadLetterQueue || !outputs.IdempotencyTableName)
    throw new TemplateError(
      `${assembly.stackName}: the template has no WebhookPipeline outputs (QueueUrl, DeadLetterQueueUrl, IdempotencyTableName) to run the local pipeline with.`,
    );
  const receiptsTable = `${assembly.stackName}-local-receipts`;
  await dynamo
    .send(
      new (await import('@aws-sdk/client-dynamodb')).CreateTableCommand({
        TableName: receiptsTable,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    )
    .catch((error) => {
      if ((error as Error).name !== 'ResourceInUseException') throw error;
    });
  return {
    dedupTable: outputs.IdempotencyTableName,
    invoicesTable: envOf(CONSUMER_ENVIRONMENT.invoicesTable),
    customersTable: envOf(CONSUMER_ENVIRONMENT.customersTable),
    outboxTable: outputs.OutboxTableName ?? '',
    receiptsTable,
    outboxFailureQueueUrl: outputs.OutboxFailureQueueUrl ?? '',
    queueUrl: queue.url,
    queueArn: queue.arn,
    deadLetterQueueUrl: deadLetterQueue.url,
    deadLetterQueueArn: deadLetterQueue.arn,
  };
}

/**
 * moto signs its notifications as SNS does and serves each certificate at SNS's path; moto
 * server tells services apart by the request's credential scope, so the request names SNS.
 */
async function snsCertificateFromMoto(motoEndpoint: string, url: string): Promise<string> {
  const { hostname, pathname } = new URL(url);
  const region = hostname.split('.')[1];
  const response = await fetch(`${motoEndpoint}${pathname}`, {
    headers: { authorization: `AWS4-HMAC-SHA256 Credential=local/20260101/${region}/sns/aws4_request` },
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`moto answered HTTP ${response.status} for ${pathname}`);
  return response.text();
}

/** Any HTTP answer within 2 s: the emulator is up (DynamoDB Local answers a bare POST with a 400). */
async function answers(url: string, method: string): Promise<void> {
  const response = await fetch(url, { method, signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
}
