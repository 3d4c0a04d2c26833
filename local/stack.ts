import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { type SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createConsumer } from '../functions/consumer/consumer.js';
import type { InvoiceResult } from '../functions/consumer/invoice-paid.js';
import { createIngest } from '../functions/ingest/ingest.js';
import { createPublisher, type PublishResult } from '../functions/publisher/publisher.js';
import { MESSAGE_GROUP_PATHS, OUTBOX, WEBHOOK_ENDPOINT } from '../infra/settings.js';
import { Idempotency, type RecordOutcome, type WebhookScheme } from '../lib/index.js';
import { type RunningServer, startDynamoDbLocal } from './dynamodb-local.js';
import { type RunningGateway, startHttpGateway } from './http-gateway.js';
import { Journal } from './journal.js';
import { startMotoServer } from './moto-server.js';
import { freePort, refuseBusyPort } from './processes.js';
import { type LocalResources, provision } from './provision.js';
import { startReaper } from './reaper.js';
import { receiptReceiver } from './receipt-receiver.js';
import { type ReplayReport, replayJournal } from './replay.js';
import { SqsPoller } from './sqs-poller.js';
import { DynamoStreamPoller } from './stream-poller.js';
import { Supervisor } from './supervisor.js';

export interface LocalStackOptions {
  /** HTTP port of the webhook endpoint. Default 3000; 0 picks a free one. */
  port?: number;
  /** Fixed ports for the emulators. Default: free ports. */
  dynamoPort?: number;
  sqsPort?: number;
  /** Keep DynamoDB Local's data in this folder across restarts. Default: in memory. */
  dataPath?: string;
  scheme?: WebhookScheme;
  /** The signing secret. Default: a new random Standard Webhooks secret each start. */
  secret?: string;
  source?: string;
  /** Default: the deployed value (180 s). Shorter makes retries and the DLQ quick to watch. */
  visibilityTimeoutSeconds?: number;
  /** Told each event's path: accepted, rejected, committed, duplicate, failed, dead-lettered, published, received. */
  onEvent?: (event: PipelineEvent) => void;
  /** Share of receipts whose first answer the local receiver "loses", so the publisher retries. Default 0.1. */
  receiverLosesFirstAnswer?: number;
  /** Run the consumer. Default true; false only accepts and queues (to test what a restart re-delivers). */
  consume?: boolean;
  /** Supervision: seconds between emulator health checks (default 2). */
  healthCheckIntervalMs?: number;
  /** An emulator could not be brought back: the stack cannot go on (npm start exits non-zero). */
  onFatal?: (message: string) => void;
}

export type PipelineEvent =
  | { stage: 'ingest'; status: number; id?: string; reason?: string }
  | { stage: 'consumer'; outcome: RecordOutcome<InvoiceResult> }
  | { stage: 'publisher'; result: PublishResult }
  | { stage: 'receiver'; id: string; status: 'applied' | 'duplicate' | 'answer lost' }
  | { stage: 'supervisor'; level: 'warn' | 'error' | 'info'; message: string }
  | { stage: 'journal'; when: 'start' | 'recovery'; report: ReplayReport; file: string; persistent: boolean };

export interface LocalStack {
  webhookUrl: string;
  secret: string;
  /** the Standard Webhooks secret the outbox publisher signs receipts with */
  signingSecret: string;
  receiptsUrl: string;
  scheme: WebhookScheme;
  source: string;
  dynamoEndpoint: string;
  sqsEndpoint: string;
  resources: LocalResources;
  /** process ids of the emulators (kept current across restarts), so a caller can check nothing is left behind */
  pids: number[];
  /** the file of accepted webhooks replayed after a restart */
  journalFile: string;
  /** what the start replayed from the journal */
  replayed: ReplayReport;
  stop(): Promise<void>;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * The whole pipeline on one machine: DynamoDB Local and moto SQS, the tables and queues from the
 * deployed settings, the HTTP gateway running functions/ingest, and the SQS poller running
 * functions/consumer. `stop()` ends everything it started.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const scheme = options.scheme ?? 'standard-webhooks';
  const source = options.source ?? scheme;
  const secret = options.secret ?? `whsec_${randomBytes(24).toString('base64')}`;
  const signingSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const notice = (level: 'warn' | 'error' | 'info', message: string) =>
    options.onEvent?.({ stage: 'supervisor', level, message });
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
  };

  try {
    // ports that already answer belong to someone else (or to a stack that was killed): refuse them
    if (options.port) await refuseBusyPort(options.port, 'PORT', 'local stack');
    if (options.dynamoPort) await refuseBusyPort(options.dynamoPort, 'DYNAMODB_PORT', 'DynamoDB Local');
    if (options.sqsPort) await refuseBusyPort(options.sqsPort, 'SQS_PORT', 'moto server');
    const reaper = startReaper();
    started.push({ stop: async () => reaper.stop() });
    const [dynamoPort, sqsPort] = [options.dynamoPort ?? (await freePort()), options.sqsPort ?? (await freePort())];
    const launchDynamo = () => startDynamoDbLocal({ port: dynamoPort, dataPath: options.dataPath });
    const launchMoto = () => startMotoServer({ port: sqsPort });
    const servers = { dynamo: undefined as RunningServer | undefined, sqs: undefined as RunningServer | undefined };
    started.push({ stop: async () => void (await Promise.all([servers.dynamo?.stop(), servers.sqs?.stop()])) });
    const [dynamoServer, sqsServer] = await Promise.allSettled([launchDynamo(), launchMoto()]).then((results) => {
      for (const result of results) if (result.status === 'fulfilled') reaper.watch(result.value.pid);
      [servers.dynamo, servers.sqs] = results.map((result) =>
        result.status === 'fulfilled' ? result.value : undefined,
      );
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      return [servers.dynamo as RunningServer, servers.sqs as RunningServer];
    });
    const pids = [dynamoServer.pid, sqsServer.pid].filter((pid): pid is number => typeof pid === 'number');
    const region = 'us-east-1';
    const dynamo = new DynamoDBClient({ endpoint: dynamoServer.endpoint, region, credentials: LOCAL_CREDENTIALS });
    const documents = DynamoDBDocumentClient.from(dynamo);
    const sqs = new SQSClient({ endpoint: sqsServer.endpoint, region, credentials: LOCAL_CREDENTIALS });
    const resources = await provision({ dynamo, sqs, visibilityTimeoutSeconds: options.visibilityTimeoutSeconds });

    // every webhook ingest is about to enqueue goes to the journal first, so a 202 is never lost with moto
    const journalDir = options.dataPath ?? mkdtempSync(join(tmpdir(), 'txonce-journal-'));
    if (!options.dataPath) started.push({ stop: async () => rmSync(journalDir, { recursive: true, force: true }) });
    const journal = new Journal(join(journalDir, 'txonce-accepted.ndjson'));
    const replay = async (when: 'start' | 'recovery') => {
      const report = await replayJournal({
        journal,
        dynamo: documents,
        dedupTable: resources.dedupTable,
        sqs,
        queueUrl: resources.queueUrl,
      });
      options.onEvent?.({ stage: 'journal', when, report, file: journal.file, persistent: !!options.dataPath });
      return report;
    };
    const replayed = await replay('start');
    const ingestSqs = new SQSClient({ endpoint: sqsServer.endpoint, region, credentials: LOCAL_CREDENTIALS });
    ingestSqs.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as SendMessageCommandInput;
        if (context.commandName === 'SendMessageCommand' && input.QueueUrl === resources.queueUrl) {
          journal.append({
            at: new Date().toISOString(),
            source,
            key: input.MessageAttributes?.idempotencyKey?.StringValue ?? '',
            message: input,
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'txonceJournal' },
    );

    const silent = (serviceName: string) => new Logger({ serviceName, logLevel: 'SILENT' });
    const ingest = createIngest({
      scheme,
      source,
      secrets: secret,
      sqs: ingestSqs,
      queueUrl: resources.queueUrl,
      maxBodyBytes: WEBHOOK_ENDPOINT.maxBodyBytes,
      // FIFO: a message group per entity, as the deployed ingest does
      messageGroupPaths: MESSAGE_GROUP_PATHS[scheme],
      logger: silent('txonce-ingest'),
    });
    const gateway: RunningGateway = await startHttpGateway({
      port: options.port ?? 3000,
      routes: [
        {
          method: 'POST',
          path: '/webhooks',
          handler: async (event, context) => {
            const response = await ingest(event, context);
            const body = parse(response.body);
            options.onEvent?.({
              stage: 'ingest',
              status: response.statusCode,
              id: body.id,
              reason: body.reason ?? body.message,
            });
            return response;
          },
        },
        {
          // a partner's endpoint receiving the receipts the consumer emits through the outbox
          method: 'POST',
          path: '/receipts',
          handler: receiptReceiver({
            dynamo: documents,
            dedupTable: resources.dedupTable,
            receiptsTable: resources.receiptsTable,
            signingSecret,
            loseFirstAnswer: options.receiverLosesFirstAnswer ?? 0.1,
            onReceipt: (id, status) => options.onEvent?.({ stage: 'receiver', id, status }),
          }),
        },
      ],
    }).catch((error) => {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw new Error(`Port ${options.port} (PORT) is in use: stop what holds it, or choose another PORT.`);
      throw error;
    });
    started.push(gateway);
    const receiptsUrl = `${gateway.url}/receipts`;

    if (options.consume !== false) {
      const consumer = createConsumer({
        store: new Idempotency({
          client: documents,
          tableName: resources.dedupTable,
          source,
          outboxTable: resources.outboxTable,
        }),
        tables: {
          invoicesTable: resources.invoicesTable,
          customersTable: resources.customersTable,
          receipts: { kind: 'webhook', url: receiptsUrl },
        },
        deadLetter: { client: sqs, queueUrl: resources.deadLetterQueueUrl },
        logger: silent('txonce-consumer'),
        metrics: new UnpublishedMetrics({ namespace: 'txonce', serviceName: 'txonce-consumer' }),
        onOutcome: (outcome) => options.onEvent?.({ stage: 'consumer', outcome }),
      });
      const poller = new SqsPoller({ client: sqs, queueUrl: resources.queueUrl, handler: consumer, batchSize: 10 });
      await poller.start();
      started.push(poller);
    }

    const startPublisher = async () => {
      const poller = new DynamoStreamPoller({
        dynamo,
        streams: new DynamoDBStreamsClient({ endpoint: dynamoServer.endpoint, region, credentials: LOCAL_CREDENTIALS }),
        tableName: resources.outboxTable,
        filter: (record) => record.eventName === 'INSERT',
        handler: createPublisher({
          dynamo: documents,
          outboxTable: resources.outboxTable,
          targets: { sqs: () => sqs, webhookSecret: signingSecret },
          failureQueue: { client: sqs, queueUrl: resources.outboxFailureQueueUrl },
          deliveredExpiry: { attribute: OUTBOX.ttlAttribute, seconds: OUTBOX.deliveredRetentionDays * 86_400 },
          logger: silent('txonce-publisher'),
          onResult: (result) => options.onEvent?.({ stage: 'publisher', result }),
        }),
      });
      await poller.start();
      return poller;
    };
    let publisher = await startPublisher();
    started.push({ stop: () => publisher.stop() });

    const supervisor = new Supervisor({
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
        await provision({ dynamo, sqs, visibilityTimeoutSeconds: options.visibilityTimeoutSeconds });
        if (name === 'DynamoDB Local') {
          if (!options.dataPath)
            notice('warn', 'DynamoDB Local kept its data in memory: its tables start empty again.');
          await publisher.stop(); // the outbox table's stream is a new one
          publisher = await startPublisher();
        }
        await replay('recovery');
      },
    });
    supervisor.watch(
      { name: 'DynamoDB Local', launch: launchDynamo, healthy: (endpoint) => answers(endpoint, 'POST') },
      dynamoServer,
    );
    supervisor.watch(
      { name: 'moto server', launch: launchMoto, healthy: (endpoint) => answers(`${endpoint}/moto-api/`, 'GET') },
      sqsServer,
    );
    started.push({ stop: async () => supervisor.stop() });

    return {
      webhookUrl: `${gateway.url}/webhooks`,
      secret,
      signingSecret,
      receiptsUrl,
      scheme,
      source,
      dynamoEndpoint: dynamoServer.endpoint,
      sqsEndpoint: sqsServer.endpoint,
      resources,
      pids,
      journalFile: journal.file,
      replayed,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Any HTTP answer within 2 s: the emulator is up (DynamoDB Local answers a bare POST with a 400). */
async function answers(url: string, method: string): Promise<void> {
  const response = await fetch(url, { method, signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
}

/** Counts as on AWS but prints no EMF: locally the outcomes are printed readably instead. */
class UnpublishedMetrics extends Metrics {
  override publishStoredMetrics(): this {
    this.clearMetrics();
    return this;
  }
}

function parse(body: string): { id?: string; reason?: string; message?: string } {
  try {
    return JSON.parse(body);
  } catch {
    return {};
  }
}
