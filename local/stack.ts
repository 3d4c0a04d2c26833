import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createConsumer } from '../functions/consumer/consumer.js';
import type { InvoiceResult } from '../functions/consumer/invoice-paid.js';
import { createIngest } from '../functions/ingest/ingest.js';
import { createPublisher, type PublishResult } from '../functions/publisher/publisher.js';
import { WEBHOOK_ENDPOINT } from '../infra/settings.js';
import { Idempotency, type RecordOutcome, type WebhookScheme } from '../lib/index.js';
import { type RunningServer, startDynamoDbLocal } from './dynamodb-local.js';
import { type RunningGateway, startHttpGateway } from './http-gateway.js';
import { startMotoServer } from './moto-server.js';
import { type LocalResources, provision } from './provision.js';
import { receiptReceiver } from './receipt-receiver.js';
import { SqsPoller } from './sqs-poller.js';
import { DynamoStreamPoller } from './stream-poller.js';

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
}

export type PipelineEvent =
  | { stage: 'ingest'; status: number; id?: string; reason?: string }
  | { stage: 'consumer'; outcome: RecordOutcome<InvoiceResult> }
  | { stage: 'publisher'; result: PublishResult }
  | { stage: 'receiver'; id: string; status: 'applied' | 'duplicate' | 'answer lost' };

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
  /** process ids of the emulators, so a caller can check nothing is left behind */
  pids: number[];
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
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
  };

  try {
    const [dynamoServer, sqsServer] = await Promise.all([
      startDynamoDbLocal({ port: options.dynamoPort, dataPath: options.dataPath }),
      startMotoServer({ port: options.sqsPort }),
    ]);
    started.push(dynamoServer as RunningServer, sqsServer);
    const region = 'us-east-1';
    const dynamo = new DynamoDBClient({ endpoint: dynamoServer.endpoint, region, credentials: LOCAL_CREDENTIALS });
    const documents = DynamoDBDocumentClient.from(dynamo);
    const sqs = new SQSClient({ endpoint: sqsServer.endpoint, region, credentials: LOCAL_CREDENTIALS });
    const resources = await provision({ dynamo, sqs, visibilityTimeoutSeconds: options.visibilityTimeoutSeconds });

    const silent = (serviceName: string) => new Logger({ serviceName, logLevel: 'SILENT' });
    const ingest = createIngest({
      scheme,
      source,
      secrets: secret,
      sqs,
      queueUrl: resources.queueUrl,
      maxBodyBytes: WEBHOOK_ENDPOINT.maxBodyBytes,
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
    });
    started.push(gateway);
    const receiptsUrl = `${gateway.url}/receipts`;

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

    const publisher = new DynamoStreamPoller({
      dynamo,
      streams: new DynamoDBStreamsClient({ endpoint: dynamoServer.endpoint, region, credentials: LOCAL_CREDENTIALS }),
      tableName: resources.outboxTable,
      filter: (record) => record.eventName === 'INSERT',
      handler: createPublisher({
        dynamo: documents,
        outboxTable: resources.outboxTable,
        targets: { sqs: () => sqs, webhookSecret: signingSecret },
        failureQueue: { client: sqs, queueUrl: resources.outboxFailureQueueUrl },
        logger: silent('txonce-publisher'),
        onResult: (result) => options.onEvent?.({ stage: 'publisher', result }),
      }),
    });
    await publisher.start();
    started.push(publisher);

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
      pids: [dynamoServer.pid, sqsServer.pid].filter((pid): pid is number => typeof pid === 'number'),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
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
