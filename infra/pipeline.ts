import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Code, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption, RedrivePermission } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IdempotencyTable } from './idempotency-table.js';
import { type FunctionSource, txonceFunction } from './lambda-function.js';
import { acknowledgePipelineFindings } from './nag-acknowledgements.js';
import { Outbox, type OutboxProps } from './outbox.js';
import { PipelineMonitoring } from './pipeline-monitoring.js';
import { EVENT_QUEUE, WEBHOOK_ENDPOINT } from './settings.js';

export type WebhookScheme = 'standard-webhooks' | 'stripe' | 'github';

/** The SQS consumer the pipeline runs: your handler and the tables it writes. */
export interface ConsumerProps {
  /**
   * Your handler file (exporting `handler`), bundled in your project by your own esbuild
   * (minified ESM, the AWS SDK left to the runtime). Default: txonce's example invoice consumer,
   * prebuilt in the package.
   */
  entry?: string;
  /** With `entry`: your project's root. Default: the folder of the lock file. */
  projectRoot?: string;
  /** With `entry`: your lock file. Default: the nearest one above the working directory. */
  depsLockFilePath?: string;
  /** Code you built yourself, instead of `entry`; give its `handler` too (e.g. "index.handler"). */
  code?: Code;
  handler?: string;
  /** Business tables the consumer writes in its transactions: granted the transaction's write actions only. */
  tables?: ITableV2[];
  /** Extra environment for the consumer (e.g. its table names). */
  environment?: Record<string, string>;
  /** Default 30 s; the queue's visibility timeout is 6x this. */
  timeout?: Duration;
  /** Default 512. */
  memorySize?: number;
}

export interface WebhookPipelineProps {
  /** The signature scheme the ingest verifies. Default "standard-webhooks". */
  scheme?: WebhookScheme;
  /** Namespace of the idempotency keys (records are "<source>#<key>"). Default: the scheme. */
  source?: string;
  /** The webhook secret. Default: a new secret with a random value; put the provider's secret in it. */
  webhookSecret?: ISecret;
  consumer?: ConsumerProps;
  /** A FIFO queue and DLQ (order per source). Default false. */
  fifo?: boolean;
  /** Receives before SQS moves a message to the DLQ. Default 5. */
  maxReceiveCount?: number;
  /** Event source mapping: records per invocation. Default 10. */
  batchSize?: number;
  /** Event source mapping: how long to gather a batch. Default none. */
  maxBatchingWindow?: Duration;
  /** Event source mapping: at most this many concurrent consumers (2 to 1000). Default: no cap. */
  maxConcurrency?: number;
  /** API Gateway stage throttling. Defaults 50 requests/s, burst 100. */
  throttlingRateLimit?: number;
  throttlingBurstLimit?: number;
  /** Largest webhook body accepted, in bytes. Default 262144. */
  maxBodyBytes?: number;
  /** Log retention for functions and API access logs. Default one month. */
  logRetention?: RetentionDays;
  /** The dedup table's removal policy. Default RETAIN: its records are what stop replays. */
  removalPolicy?: RemovalPolicy;
  /** The dedup table's deletion protection. Default true. */
  deletionProtection?: boolean;
  /** Where alarms notify. Default: alarms without actions (visible in the console). */
  alarmTopic?: ITopic;
  /** Age of the oldest queued message that raises an alarm. Default 15 minutes. */
  maxMessageAge?: Duration;
  /** A transactional outbox for the consumer (`tx.emit`) and its publisher. Default: none. */
  outbox?: Omit<OutboxProps, 'retention' | 'removalPolicy'>;
}

/**
 * The whole pipeline: API Gateway (REST) → ingest Lambda (signature check) → SQS → consumer
 * Lambda → DynamoDB, with a DLQ and redrive, alarms and a dashboard. Each function gets a role
 * of its own with exactly the calls it makes.
 */
export class WebhookPipeline extends Construct {
  readonly api: RestApi;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly idempotency: IdempotencyTable;
  readonly ingest: LambdaFunction;
  readonly consumer: LambdaFunction;
  readonly webhookSecret: ISecret;
  readonly monitoring: PipelineMonitoring;
  readonly outbox: Outbox | undefined;

  constructor(scope: Construct, id: string, props: WebhookPipelineProps = {}) {
    super(scope, id);
    const scheme = props.scheme ?? 'standard-webhooks';
    const source = props.source ?? scheme;
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const consumerTimeout = props.consumer?.timeout ?? Duration.seconds(EVENT_QUEUE.consumerTimeoutSeconds);
    const fifo = props.fifo ?? false;

    this.idempotency = new IdempotencyTable(this, 'Idempotency', {
      removalPolicy: props.removalPolicy,
      deletionProtection: props.deletionProtection,
    });

    // The DLQ names its source queue in the redrive-allow policy; a queue name known up front
    // avoids a dependency cycle (the queue already points at the DLQ).
    const queueName = this.queueName(fifo);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      fifo: fifo || undefined,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(EVENT_QUEUE.deadLetterRetentionDays),
      redriveAllowPolicy: {
        redrivePermission: RedrivePermission.BY_QUEUE,
        sourceQueues: [
          Queue.fromQueueArn(this, 'SourceQueueRef', Stack.of(this).formatArn({ service: 'sqs', resource: queueName })),
        ],
      },
    });
    this.queue = new Queue(this, 'Queue', {
      queueName,
      fifo: fifo || undefined,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(consumerTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(EVENT_QUEUE.retentionDays),
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        maxReceiveCount: props.maxReceiveCount ?? EVENT_QUEUE.maxReceiveCount,
      },
    });

    this.webhookSecret =
      props.webhookSecret ??
      new Secret(this, 'WebhookSecret', {
        description: `Webhook signing secret(s) for ${source}: one secret, or a JSON array during a rotation`,
        // 32 letters and digits: valid base64, so usable by every scheme until the provider's secret replaces it
        generateSecretString: { passwordLength: 32, excludePunctuation: true },
      });

    this.ingest = txonceFunction(this, 'Ingest', {
      source: { prebuilt: 'ingest' },
      retention,
      timeout: Duration.seconds(10),
      memorySize: 256,
      environment: {
        QUEUE_URL: this.queue.queueUrl,
        WEBHOOK_SCHEME: scheme,
        WEBHOOK_SOURCE: source,
        WEBHOOK_SECRET_ID: this.webhookSecret.secretArn,
        MAX_BODY_BYTES: String(props.maxBodyBytes ?? WEBHOOK_ENDPOINT.maxBodyBytes),
        POWERTOOLS_SERVICE_NAME: 'txonce-ingest',
      },
    });
    this.queue.grantSendMessages(this.ingest);
    this.webhookSecret.grantRead(this.ingest);

    const consumerService = 'txonce-consumer';
    this.consumer = txonceFunction(this, 'Consumer', {
      source: consumerSource(props.consumer),
      retention,
      timeout: consumerTimeout,
      memorySize: props.consumer?.memorySize ?? 512,
      environment: {
        DEDUP_TABLE: this.idempotency.table.tableName,
        DLQ_URL: this.deadLetterQueue.queueUrl,
        IDEMPOTENCY_SOURCE: source,
        POWERTOOLS_SERVICE_NAME: consumerService,
        POWERTOOLS_METRICS_NAMESPACE: 'txonce',
        ...props.consumer?.environment,
      },
    });
    this.idempotency.grantConsumer(this.consumer);
    for (const table of props.consumer?.tables ?? []) {
      table.grant(
        this.consumer,
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:ConditionCheckItem',
      );
    }
    this.deadLetterQueue.grantSendMessages(this.consumer);
    this.consumer.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? 10,
        maxBatchingWindow: props.maxBatchingWindow,
        maxConcurrency: props.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    if (props.outbox) {
      this.outbox = new Outbox(this, 'Outbox', { ...props.outbox, retention, removalPolicy: props.removalPolicy });
      this.outbox.grantEmit(this.consumer);
      this.consumer.addEnvironment('OUTBOX_TABLE', this.outbox.table.tableName);
    }

    this.api = this.restApi(scheme, retention, props);

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      api: this.api,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      ingest: this.ingest,
      consumer: this.consumer,
      consumerService,
      alarmTopic: props.alarmTopic,
      maxMessageAge: props.maxMessageAge ?? Duration.minutes(15),
      outbox: this.outbox,
    });

    const output = (name: string, value: string, description: string) =>
      new CfnOutput(this, name, { value, description });
    output('WebhookUrl', this.api.urlForPath('/webhooks'), 'POST signed webhooks here');
    output('QueueUrl', this.queue.queueUrl, 'The event queue');
    output('DeadLetterQueueUrl', this.deadLetterQueue.queueUrl, 'The DLQ (txonce redrive / dlq list)');
    output('DeadLetterQueueArn', this.deadLetterQueue.queueArn, 'The DLQ ARN (StartMessageMoveTask)');
    output('IdempotencyTableName', this.idempotency.table.tableName, 'The dedup records');
    output('WebhookSecretArn', this.webhookSecret.secretArn, 'Put the provider signing secret here');
    output('DashboardName', this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard');
    if (this.outbox) {
      output('OutboxTableName', this.outbox.table.tableName, 'Messages emitted with tx.emit()');
      output('OutboxFailureQueueUrl', this.outbox.failureQueue.queueUrl, 'Outbox messages that could not be delivered');
      output(
        'WebhookSigningSecretArn',
        this.outbox.signingSecret.secretArn,
        'The secret outbox webhooks are signed with',
      );
    }
    acknowledgePipelineFindings(this);
  }

  private queueName(fifo: boolean): string {
    const base = `${Stack.of(this).stackName}-${this.node.id}-events`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 75);
    return fifo ? `${base}.fifo` : base;
  }

  private restApi(scheme: WebhookScheme, retention: RetentionDays, props: WebhookPipelineProps): RestApi {
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    const api = new RestApi(this, 'Api', {
      description: 'txonce webhook receiver',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false, // execution logs must not hold webhook bodies
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit ?? 50,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 100,
      },
    });
    const validator = api.addRequestValidator('SignatureAndBody', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const event = api.addModel('WebhookEvent', {
      contentType: 'application/json',
      schema: {
        schema: JsonSchemaVersion.DRAFT4,
        type: JsonSchemaType.OBJECT,
        description: 'A webhook event is a JSON object',
      },
    });
    api.root.addResource('webhooks').addMethod('POST', new LambdaIntegration(this.ingest, { proxy: true }), {
      requestValidator: validator,
      requestModels: { 'application/json': event },
      // API Gateway refuses a request without the scheme's signature headers before any Lambda runs
      requestParameters: Object.fromEntries(
        SIGNATURE_HEADERS[scheme].map((name) => [`method.request.header.${name}`, true]),
      ),
    });
    return api;
  }
}

function consumerSource(consumer: ConsumerProps = {}): FunctionSource {
  const { entry, code, handler } = consumer;
  if (entry !== undefined && code !== undefined) {
    throw new Error('WebhookPipeline: give the consumer either `entry` (a file to bundle) or `code`, not both.');
  }
  if (code !== undefined) {
    if (!handler) throw new Error('WebhookPipeline: `consumer.code` needs `consumer.handler` (e.g. "index.handler").');
    return { code, handler };
  }
  if (entry !== undefined) {
    return { entry, projectRoot: consumer.projectRoot, depsLockFilePath: consumer.depsLockFilePath };
  }
  return { prebuilt: 'consumer' };
}

/**
 * Headers API Gateway requires before the ingest runs. Standard Webhooks has two spellings
 * (webhook-* and Svix's svix-*) and a validator cannot require one set or the other, so for it
 * the ingest alone checks them (401 missing-header).
 */
const SIGNATURE_HEADERS: Record<WebhookScheme, string[]> = {
  'standard-webhooks': [],
  stripe: ['Stripe-Signature'],
  github: ['X-Hub-Signature-256', 'X-GitHub-Delivery'],
};
