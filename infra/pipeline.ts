import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { TableEncryptionV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { CONSUMER_ENVIRONMENT } from '../lib/contracts/environment.js';
import { MESSAGE_GROUP_PATHS } from '../lib/contracts/message-groups.js';
import { PIPELINE_SCHEMES, type WebhookScheme as PipelineScheme } from '../lib/webhooks/presets.js';
import { IdempotencyTable } from './idempotency-table.js';
import { functionRuntime } from './lambda-runtime.js';
import { Outbox, type OutboxProps } from './outbox.js';
import { webhookApi } from './pipeline-api.js';
import { pipelineArchive } from './pipeline-archive.js';
import { CONSUMER_SERVICE, type ConsumerProps, consumerFunction } from './pipeline-consumer.js';
import { acknowledgePipelineFindings } from './pipeline-findings.js';
import { INGEST_SERVICE, ingestFunction } from './pipeline-ingest.js';
import { PipelineMonitoring } from './pipeline-monitoring.js';
import { eventQueues } from './pipeline-queues.js';
import { EVENT_QUEUE } from './settings.js';
import { DEFAULT_TABLE_ENCRYPTION } from './table-encryption.js';
import type { WebhookArchive, WebhookArchiveProps } from './webhook-archive.js';
import { buildSources, type PipelineSource, sourceProblems, type WebhookSourceProps } from './webhook-sources.js';

export type { ConsumerProps } from './pipeline-consumer.js';

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
  /**
   * Several webhook sources, each at `/webhooks/<name>` with its own scheme, secret, namespace,
   * rejection metric and alarm, all into this pipeline's one queue and consumer (see
   * docs/webhooks.md, "Several sources"). Not with `scheme`, `source`, `webhookSecret` or
   * `messageGroupPaths`, which describe the single source of a pipeline without `sources`.
   */
  sources?: WebhookSourceProps[];
  /** A single source: the signature scheme the ingest verifies at `/webhooks`. Default "standard-webhooks". */
  scheme?: WebhookScheme;
  /** A single source: the namespace of the idempotency keys (records are "<source>#<key>"). Default: the scheme. */
  source?: string;
  /** A single source: the webhook secret. Default: a new secret with a random value; put the provider's secret in it before the first webhook. */
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
   * A single source, FIFO only (with `sources`, give them per source): dot paths into the
   * verified JSON body naming the entity an event is about, tried
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
   * API Gateway stage throttling (requests/s and burst). Defaults: 50/100 (Stripe, Standard
   * Webhooks and most senders retry a 429 for hours or days); 500/1000 for GitHub, which does not
   * retry: a 429 there is a lost delivery until someone redelivers it. With `sources`, the stage
   * keeps 50/100 and a GitHub source's method gets 500/1000; given, these apply to every source.
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
  /**
   * The archive of accepted webhooks in S3, each under its source's name, for `txonce replay`
   * (docs/archive.md). Default: on, kept 90 days (about $5 per million webhooks, almost all of it
   * S3 PUT requests); false: none.
   */
  archive?: WebhookArchiveProps | false;
  /** A transactional outbox for the consumer (`tx.emit`) and its publisher. Default: none. */
  outbox?: Omit<OutboxProps, 'retention' | 'removalPolicy' | 'deletionProtection' | 'encryption' | 'runtime'>;
}

/**
 * The whole pipeline: API Gateway (REST) → ingest Lambda (signature check) → SQS → consumer
 * Lambda → DynamoDB, with a DLQ and redrive, alarms and a dashboard. Each function gets a role
 * of its own with exactly the calls it makes. One source (`scheme`) posts to `/webhooks`;
 * several (`sources`) each to `/webhooks/<name>`, into the same queue and consumer.
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
  /** The secret of the single source (with `sources`: the first source's). */
  readonly webhookSecret: ISecret;
  /** Each source's secret, by source name. */
  readonly webhookSecrets: Record<string, ISecret>;
  /** Each source's path on the API, by source name: `/webhooks`, or `/webhooks/<name>` with `sources`. */
  readonly webhookPaths: Record<string, string>;
  readonly monitoring: PipelineMonitoring;
  readonly outbox: Outbox | undefined;
  /** The archive of accepted webhooks (unless `archive: false`). */
  readonly archive: WebhookArchive | undefined;
  /** Sets the DLQ's redrive-allow policy (only the queue may use it) once both queues exist. */
  readonly redriveAllowPolicy: Construct;
  readonly webAclAssociation: CfnWebACLAssociation | undefined;
  /** API Gateway access and execution logs are on (the account's CloudWatch role must be set). */
  readonly apiLogging: boolean;
  /** Secrets this construct generated (not given): cdk-nag's rotation finding is acknowledged on these. */
  readonly generatedSecrets: ISecret[];

  constructor(scope: Construct, id: string, props: WebhookPipelineProps = {}) {
    super(scope, id);
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const consumerTimeout = props.consumer?.timeout ?? Duration.seconds(EVENT_QUEUE.consumerTimeoutSeconds);
    const fifo = props.fifo ?? false;
    this.apiLogging = props.apiLogging ?? false;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const tableEncryption = props.tableEncryption ?? DEFAULT_TABLE_ENCRYPTION;
    const maxConcurrency = props.maxConcurrency ?? EVENT_QUEUE.maxConcurrency;
    validateProps(props, maxConcurrency);
    const runtime = functionRuntime('WebhookPipeline', props.runtime);
    const single = props.sources === undefined;

    // the steps, in order: tables, queues, sources, archive, ingest, consumer, outbox, API, monitoring, outputs
    this.idempotency = new IdempotencyTable(this, 'Idempotency', {
      removalPolicy,
      deletionProtection: props.deletionProtection,
      encryption: tableEncryption,
    });
    const queues = eventQueues(this, {
      fifo,
      removalPolicy,
      consumerTimeout,
      maxBatchingWindow: props.maxBatchingWindow,
      maxReceiveCount: props.maxReceiveCount,
      runtime,
    });
    ({
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      redriveAllowPolicy: this.redriveAllowPolicy,
    } = queues);
    const sources = buildSources(this, props.sources ?? [singleSource(props)], removalPolicy, (source) =>
      single ? 'WebhookSecret' : `WebhookSecret-${source.name}`,
    );
    this.webhookSecrets = Object.fromEntries(sources.map((source) => [source.name, source.secret]));
    this.webhookSecret = sources[0].secret;
    this.generatedSecrets = sources.filter((source) => source.generatedSecret).map((source) => source.secret);
    this.webhookPaths = Object.fromEntries(
      sources.map((source) => [source.name, single ? '/webhooks' : `/webhooks/${source.name}`]),
    );

    this.archive = pipelineArchive(this, props.archive, removalPolicy);
    this.ingest = ingestFunction(this, {
      sources,
      archive: this.archive,
      single,
      queue: this.queue,
      fifo,
      maxBodyBytes: props.maxBodyBytes,
      runtime,
      retention,
    });
    this.consumer = consumerFunction(this, {
      consumer: props.consumer ?? {},
      sourceNames: sources.map((source) => source.name),
      single,
      idempotency: this.idempotency,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      timeout: consumerTimeout,
      runtime,
      retention,
      batchSize: props.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      maxConcurrency,
    });
    this.outbox = props.outbox ? this.addOutbox(props, runtime, retention, removalPolicy, tableEncryption) : undefined;

    this.api = webhookApi(this, {
      ingest: this.ingest,
      sources,
      single,
      retention,
      apiLogging: this.apiLogging,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
    });
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
      consumerService: CONSUMER_SERVICE,
      ingestService: INGEST_SERVICE,
      webhookSources: sources.map((source) => source.name),
      archived: this.archive !== undefined,
      alarmTopic: props.alarmTopic,
      production: props.production ?? false,
      maxMessageAge: props.maxMessageAge ?? Duration.minutes(15),
      outbox: this.outbox,
    });

    this.addOutputs(sources, single);
    acknowledgePipelineFindings(this);
  }

  private addOutbox(
    props: WebhookPipelineProps,
    runtime: Runtime,
    retention: RetentionDays,
    removalPolicy: RemovalPolicy,
    encryption: TableEncryptionV2,
  ): Outbox {
    const outbox = new Outbox(this, 'Outbox', {
      ...(props.outbox as NonNullable<WebhookPipelineProps['outbox']>),
      runtime,
      retention,
      removalPolicy,
      deletionProtection: props.deletionProtection,
      encryption,
    });
    outbox.grantEmit(this.consumer);
    this.consumer.addEnvironment(CONSUMER_ENVIRONMENT.outboxTable, outbox.table.tableName);
    return outbox;
  }

  private addOutputs(sources: PipelineSource[], single: boolean): void {
    const output = (name: string, value: string, description: string) =>
      new CfnOutput(this, name, { value, description });
    if (single) {
      output('WebhookUrl', this.api.urlForPath('/webhooks'), 'POST signed webhooks here');
      output('WebhookSecretArn', this.webhookSecret.secretArn, 'Put the provider signing secret here');
    } else {
      for (const source of sources) {
        const path = this.webhookPaths[source.name];
        output(`WebhookUrl-${source.name}`, this.api.urlForPath(path), `POST signed ${source.name} webhooks here`);
        output(
          `WebhookSecretArn-${source.name}`,
          source.secret.secretArn,
          `Put the ${source.name} signing secret here`,
        );
      }
    }
    output('QueueUrl', this.queue.queueUrl, 'The event queue');
    output('DeadLetterQueueUrl', this.deadLetterQueue.queueUrl, 'The DLQ (txonce redrive / dlq list)');
    output('DeadLetterQueueArn', this.deadLetterQueue.queueArn, 'The DLQ ARN (StartMessageMoveTask)');
    output('IdempotencyTableName', this.idempotency.table.tableName, 'The dedup records');
    if (this.archive)
      output(
        'ArchiveBucketName',
        this.archive.bucket.bucketName,
        'Accepted webhooks, by source and time (txonce replay)',
      );
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
  }
}

/** The single source of a pipeline without `sources`: today's `scheme`, `source` and `webhookSecret`. */
function singleSource(props: WebhookPipelineProps): WebhookSourceProps {
  const scheme = props.scheme ?? 'standard-webhooks';
  return {
    name: props.source ?? scheme,
    scheme,
    secret: props.webhookSecret,
    messageGroupPaths: props.fifo ? (props.messageGroupPaths ?? [...MESSAGE_GROUP_PATHS[scheme]]) : undefined,
  };
}

function validateProps(props: WebhookPipelineProps, maxConcurrency: number): void {
  const problems: string[] = [];
  if (props.scheme !== undefined && !(PIPELINE_SCHEMES as readonly string[]).includes(props.scheme))
    problems.push(
      `scheme must be one of ${PIPELINE_SCHEMES.join(', ')} (got "${props.scheme}"); any other preset or a definition goes in \`sources\``,
    );
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000)
    problems.push(`maxConcurrency must be a whole number from 2 to 1000 (got ${maxConcurrency})`);
  if (props.messageGroupPaths !== undefined && !props.fifo)
    problems.push('messageGroupPaths applies to FIFO queues only: set fifo: true or leave it out');
  for (const path of [
    ...(props.messageGroupPaths ?? []),
    ...(props.sources ?? []).flatMap((source) => source?.messageGroupPaths ?? []),
  ])
    if (!/^[^.\s]+(\.[^.\s]+)*$/.test(path))
      problems.push(`messageGroupPaths: "${path}" is not a dot path like data.object.id`);
  if (props.messageGroupPaths?.length === 0)
    problems.push('messageGroupPaths: give at least one path, or leave it out');
  if (props.sources !== undefined) {
    const single = (['scheme', 'source', 'webhookSecret', 'messageGroupPaths'] as const).filter(
      (name) => props[name] !== undefined,
    );
    if (single.length > 0)
      problems.push(`${single.join(', ')} describe a single source: with \`sources\`, give them per source`);
    problems.push(...sourceProblems(props.sources, props.fifo ?? false));
  }
  if (problems.length > 0) throw new Error(`WebhookPipeline: ${problems.join('; ')}.`);
}
