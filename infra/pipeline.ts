import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
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
import type { ITableV2, TableEncryptionV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { CONSUMER_ENVIRONMENT, INGEST_ENVIRONMENT, POWERTOOLS_ENVIRONMENT } from '../lib/contracts/environment.js';
import { MESSAGE_GROUP_PATHS } from '../lib/contracts/message-groups.js';
import type { WebhookScheme as PipelineScheme } from '../lib/webhooks/presets.js';
import { IdempotencyTable } from './idempotency-table.js';
import { type FunctionSource, txonceFunction } from './lambda-function.js';
import { functionRuntime } from './lambda-runtime.js';
import { Outbox, type OutboxProps } from './outbox.js';
import { acknowledgePipelineFindings } from './pipeline-findings.js';
import { PipelineMonitoring } from './pipeline-monitoring.js';
import { allowRedriveFrom } from './redrive-allow-policy.js';
import { EVENT_QUEUE, WEBHOOK_ENDPOINT } from './settings.js';
import { DEFAULT_TABLE_ENCRYPTION } from './table-encryption.js';

/**
 * The signature scheme a `WebhookPipeline`'s ingest verifies (the list is lib/webhooks/presets.ts's
 * PIPELINE_SCHEMES, shared with the ingest function and the local stack).
 *
 * @example
 * ```ts
 * import type { WebhookScheme } from 'txonce/cdk';
 *
 * export const scheme: WebhookScheme = 'stripe';
 * ```
 */
export type WebhookScheme = PipelineScheme;

/**
 * The SQS consumer the pipeline runs: your handler and the tables it writes.
 *
 * @example
 * ```ts
 * import { App, Stack } from 'aws-cdk-lib';
 * import { AttributeType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
 * import { type ConsumerProps, WebhookPipeline } from 'txonce/cdk';
 *
 * const stack = new Stack(new App(), 'billing');
 * const customers = new TableV2(stack, 'Customers', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
 * const consumer: ConsumerProps = {
 *   entry: 'src/consumer.ts',
 *   tables: [customers],
 *   environment: { CUSTOMERS_TABLE: customers.tableName },
 * };
 * new WebhookPipeline(stack, 'Pipeline', { consumer });
 * ```
 */
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
  /** Default 30 s; the queue's visibility timeout is 6x this plus the batching window. */
  timeout?: Duration;
  /** Default 512. */
  memorySize?: number;
}

/**
 * Props of `WebhookPipeline`: the scheme, your consumer, the queue and event source mapping, the
 * API's limits and logs, retention, alarms and the outbox. Every prop has a default.
 *
 * @example
 * ```ts
 * import { App, Stack } from 'aws-cdk-lib';
 * import { Topic } from 'aws-cdk-lib/aws-sns';
 * import { WebhookPipeline, type WebhookPipelineProps } from 'txonce/cdk';
 *
 * const stack = new Stack(new App(), 'billing');
 * const props: WebhookPipelineProps = {
 *   scheme: 'github',
 *   fifo: true, // one repository's events in order
 *   alarmTopic: new Topic(stack, 'Alarms'),
 *   production: true,
 * };
 * new WebhookPipeline(stack, 'Pipeline', props);
 * ```
 */
export interface WebhookPipelineProps {
  /** The signature scheme the ingest verifies. Default "standard-webhooks". */
  scheme?: WebhookScheme;
  /** Namespace of the idempotency keys (records are "<source>#<key>"). Default: the scheme. */
  source?: string;
  /** The webhook secret. Default: a new secret with a random value; put the provider's secret in it before the first webhook. */
  webhookSecret?: ISecret;
  consumer?: ConsumerProps;
  /**
   * The Lambda runtime of every function it creates: ingest, consumer, outbox publisher and the
   * provider function that sets the DLQ's redrive-allow policy. A Node.js runtime, 22 or newer.
   * Default: the newest Node.js runtime your aws-cdk-lib knows, which cdk-nag's AwsSolutions-L1
   * and Serverless-LambdaLatestVersion ask for (see docs/cdk.md).
   */
  runtime?: Runtime;
  /** A FIFO queue and DLQ, with a message group per entity (see `messageGroupPaths`). Default false. */
  fifo?: boolean;
  /**
   * FIFO only: dot paths into the verified JSON body naming the entity an event is about, tried
   * in order (e.g. ["data.object.customer"]). Events of one entity are ordered and run one at a
   * time; other entities run in parallel. An event with none of them gets a group of its own.
   * Default: per scheme (Stripe: the object's customer, else the object; GitHub: the repository;
   * Standard Webhooks: `data.id`).
   */
  messageGroupPaths?: string[];
  /** Receives before SQS moves a message to the DLQ. Default 5. */
  maxReceiveCount?: number;
  /** Event source mapping: records per invocation. Default 10. */
  batchSize?: number;
  /** Event source mapping: how long to gather a batch. Default none. Added to the visibility timeout. */
  maxBatchingWindow?: Duration;
  /**
   * Event source mapping: at most this many concurrent consumer invocations (2 to 1000).
   * Default 10: a backlog after an outage or a redrive drains at 10 x batchSize records at a time
   * instead of scaling toward the account's whole concurrency.
   */
  maxConcurrency?: number;
  /**
   * API Gateway stage throttling (requests/s and burst). Defaults: 50/100 for Stripe and Standard
   * Webhooks (their senders retry a 429 for hours or days); 500/1000 for GitHub, which does not
   * retry: a 429 there is a lost delivery until someone redelivers it.
   */
  throttlingRateLimit?: number;
  throttlingBurstLimit?: number;
  /** Largest webhook body accepted, in bytes. Default 262144. */
  maxBodyBytes?: number;
  /** Log retention for functions and API access logs. Default one month. */
  logRetention?: RetentionDays;
  /**
   * API Gateway access logs and execution logs (ERROR, no bodies). Both need the account's API
   * Gateway CloudWatch role, one per account and region, which this construct never sets: set
   * it once per account and region first (see docs/cdk.md), then turn this on. Default false:
   * the ingest function logs every rejection itself.
   */
  apiLogging?: boolean;
  /** A WAFv2 regional web ACL to associate with the API stage. Default: none. */
  webAclArn?: string;
  /**
   * What happens to the data when the stack is deleted: the dedup and outbox tables, the queue,
   * the DLQ, the outbox failure queue and the generated secrets. Default RETAIN: dedup records
   * are what stop replays, and queued or dead-lettered events are not yet applied.
   */
  removalPolicy?: RemovalPolicy;
  /** Deletion protection of the dedup and outbox tables. Default true. */
  deletionProtection?: boolean;
  /** Encryption of the dedup and outbox tables (use the same for your business tables). Default: the AWS managed key. */
  tableEncryption?: TableEncryptionV2;
  /** Where alarms notify. Without one, synth warns (fails when `production`). */
  alarmTopic?: ITopic;
  /** A production stage: alarms without an action are a synth error, not a warning. Default false. */
  production?: boolean;
  /** Age of the oldest queued message that raises an alarm. Default 15 minutes. */
  maxMessageAge?: Duration;
  /** A transactional outbox for the consumer (`tx.emit`) and its publisher. Default: none. */
  outbox?: Omit<OutboxProps, 'retention' | 'removalPolicy' | 'deletionProtection' | 'encryption' | 'runtime'>;
}

/**
 * The whole pipeline: API Gateway (REST) → ingest Lambda (signature check) → SQS → consumer
 * Lambda → DynamoDB, with a DLQ and redrive, alarms and a dashboard. Each function gets a role
 * of its own with exactly the calls it makes.
 *
 * @example
 * ```ts
 * import { App, CfnOutput, Stack } from 'aws-cdk-lib';
 * import { WebhookPipeline } from 'txonce/cdk';
 *
 * const app = new App();
 * const stack = new Stack(app, 'billing-webhooks');
 * const pipeline = new WebhookPipeline(stack, 'Pipeline', {
 *   scheme: 'stripe',
 *   consumer: { entry: 'src/consumer.ts' },
 * });
 * new CfnOutput(stack, 'WebhookUrl', { value: pipeline.api.urlForPath('/webhooks') });
 * ```
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
  /** Sets the DLQ's redrive-allow policy (only the queue may use it) once both queues exist. */
  readonly redriveAllowPolicy: Construct;
  readonly webAclAssociation: CfnWebACLAssociation | undefined;
  /** API Gateway access and execution logs are on (the account's CloudWatch role must be set). */
  readonly apiLogging: boolean;

  constructor(scope: Construct, id: string, props: WebhookPipelineProps = {}) {
    super(scope, id);
    const scheme = props.scheme ?? 'standard-webhooks';
    const source = props.source ?? scheme;
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const consumerTimeout = props.consumer?.timeout ?? Duration.seconds(EVENT_QUEUE.consumerTimeoutSeconds);
    const fifo = props.fifo ?? false;
    this.apiLogging = props.apiLogging ?? false;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const tableEncryption = props.tableEncryption ?? DEFAULT_TABLE_ENCRYPTION;
    const maxConcurrency = props.maxConcurrency ?? EVENT_QUEUE.maxConcurrency;
    validateProps(props, maxConcurrency);
    const runtime = functionRuntime('WebhookPipeline', props.runtime);

    this.idempotency = new IdempotencyTable(this, 'Idempotency', {
      removalPolicy,
      deletionProtection: props.deletionProtection,
      encryption: tableEncryption,
    });

    // Generated names: two pipelines never collide and a replacement needs no rename. The DLQ's
    // redrive-allow policy names the queue, which already names the DLQ, so it is set once both
    // exist (a custom resource) instead of in the template, which would be a dependency cycle.
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      fifo: fifo || undefined,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(EVENT_QUEUE.deadLetterRetentionDays),
      removalPolicy,
    });
    // AWS: at least 6x the function timeout, plus the batching window, so a batch still being
    // gathered or processed is not delivered a second time.
    const visibilityTimeout = Duration.seconds(
      consumerTimeout.toSeconds() * 6 + (props.maxBatchingWindow?.toSeconds() ?? 0),
    );
    this.queue = new Queue(this, 'Queue', {
      fifo: fifo || undefined,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout,
      retentionPeriod: Duration.days(EVENT_QUEUE.retentionDays),
      removalPolicy,
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        maxReceiveCount: props.maxReceiveCount ?? EVENT_QUEUE.maxReceiveCount,
      },
    });
    this.redriveAllowPolicy = allowRedriveFrom(this, 'RedriveAllowPolicy', {
      deadLetterQueue: this.deadLetterQueue,
      sourceQueue: this.queue,
      runtime,
    });

    this.webhookSecret =
      props.webhookSecret ??
      new Secret(this, 'WebhookSecret', {
        description: `Webhook signing secret(s) for ${source}: one secret, or a JSON array during a rotation`,
        // 32 letters and digits: valid base64, so usable by every scheme until the provider's secret replaces it
        generateSecretString: { passwordLength: 32, excludePunctuation: true },
        removalPolicy,
      });

    this.ingest = txonceFunction(this, 'Ingest', {
      source: { prebuilt: 'ingest' },
      runtime,
      retention,
      timeout: Duration.seconds(10),
      memorySize: 256,
      environment: {
        [INGEST_ENVIRONMENT.queueUrl]: this.queue.queueUrl,
        [INGEST_ENVIRONMENT.scheme]: scheme,
        [INGEST_ENVIRONMENT.source]: source,
        [INGEST_ENVIRONMENT.secretId]: this.webhookSecret.secretArn,
        [INGEST_ENVIRONMENT.maxBodyBytes]: String(props.maxBodyBytes ?? WEBHOOK_ENDPOINT.maxBodyBytes),
        ...(fifo
          ? {
              [INGEST_ENVIRONMENT.messageGroupPaths]: JSON.stringify(
                props.messageGroupPaths ?? MESSAGE_GROUP_PATHS[scheme],
              ),
            }
          : {}),
        [POWERTOOLS_ENVIRONMENT.serviceName]: 'txonce-ingest',
      },
    });
    this.queue.grantSendMessages(this.ingest);
    this.webhookSecret.grantRead(this.ingest);

    const consumerService = 'txonce-consumer';
    this.consumer = txonceFunction(this, 'Consumer', {
      source: consumerSource(props.consumer),
      runtime,
      retention,
      timeout: consumerTimeout,
      memorySize: props.consumer?.memorySize ?? 512,
      environment: {
        [CONSUMER_ENVIRONMENT.dedupTable]: this.idempotency.table.tableName,
        [CONSUMER_ENVIRONMENT.deadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
        [CONSUMER_ENVIRONMENT.source]: source,
        [POWERTOOLS_ENVIRONMENT.serviceName]: consumerService,
        [POWERTOOLS_ENVIRONMENT.metricsNamespace]: 'txonce',
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
        maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    if (props.outbox) {
      this.outbox = new Outbox(this, 'Outbox', {
        ...props.outbox,
        runtime,
        retention,
        removalPolicy,
        deletionProtection: props.deletionProtection,
        encryption: tableEncryption,
      });
      this.outbox.grantEmit(this.consumer);
      this.consumer.addEnvironment(CONSUMER_ENVIRONMENT.outboxTable, this.outbox.table.tableName);
    }

    this.api = this.restApi(scheme, retention, props);
    this.webAclAssociation = props.webAclArn
      ? new CfnWebACLAssociation(this, 'WebAcl', {
          resourceArn: this.api.deploymentStage.stageArn,
          webAclArn: props.webAclArn,
        })
      : undefined;

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      api: this.api,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      ingest: this.ingest,
      consumer: this.consumer,
      consumerService,
      alarmTopic: props.alarmTopic,
      production: props.production ?? false,
      signatureRejections: this.ingest.logGroup,
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

  private restApi(scheme: WebhookScheme, retention: RetentionDays, props: WebhookPipelineProps): RestApi {
    const throttling = THROTTLING[scheme];
    // Access and execution logs need the account's API Gateway CloudWatch role (one per account and
    // region, shared by every REST API there): never created or changed here, so opt-in.
    const logging = props.apiLogging
      ? {
          accessLogDestination: new LogGroupLogDestination(
            new LogGroup(this, 'ApiAccessLogs', { retention, removalPolicy: RemovalPolicy.DESTROY }),
          ),
          accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
          loggingLevel: MethodLoggingLevel.ERROR,
        }
      : { loggingLevel: MethodLoggingLevel.OFF };
    const api = new RestApi(this, 'Api', {
      description: 'txonce webhook receiver',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: false,
      deployOptions: {
        ...logging,
        dataTraceEnabled: false, // execution logs must not hold webhook bodies
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit ?? throttling.rateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit ?? throttling.burstLimit,
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

/**
 * Stage throttling per scheme. Stripe and Standard Webhooks senders retry a 429 with backoff for
 * hours to days, so a tight limit only delays. GitHub never retries a failed delivery: a 429 is
 * a lost event until it is redelivered by hand, so its limit is set well above a burst.
 */
const THROTTLING: Record<WebhookScheme, { rateLimit: number; burstLimit: number }> = {
  'standard-webhooks': { rateLimit: 50, burstLimit: 100 },
  stripe: { rateLimit: 50, burstLimit: 100 },
  github: { rateLimit: 500, burstLimit: 1000 },
};

const SCHEMES = Object.keys(SIGNATURE_HEADERS);

function validateProps(props: WebhookPipelineProps, maxConcurrency: number): void {
  const problems: string[] = [];
  if (props.scheme !== undefined && !SCHEMES.includes(props.scheme))
    problems.push(`scheme must be one of ${SCHEMES.join(', ')} (got "${props.scheme}")`);
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000)
    problems.push(`maxConcurrency must be a whole number from 2 to 1000 (got ${maxConcurrency})`);
  if (props.messageGroupPaths !== undefined && !props.fifo)
    problems.push('messageGroupPaths applies to FIFO queues only: set fifo: true or leave it out');
  for (const path of props.messageGroupPaths ?? [])
    if (!/^[^.\s]+(\.[^.\s]+)*$/.test(path))
      problems.push(`messageGroupPaths: "${path}" is not a dot path like data.object.id`);
  if (props.messageGroupPaths?.length === 0)
    problems.push('messageGroupPaths: give at least one path, or leave it out');
  if (problems.length > 0) throw new Error(`WebhookPipeline: ${problems.join('; ')}.`);
}
