import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Alarm, IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, Billing, StreamViewType, type TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import {
  FilterCriteria,
  FilterRule,
  type Function as LambdaFunction,
  type Runtime,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { POWERTOOLS_ENVIRONMENT, PUBLISHER_ENVIRONMENT } from '../lib/contracts/environment.js';
import { thresholdAlarm } from './alarms.js';
import { txonceFunction } from './lambda-function.js';
import { functionRuntime } from './lambda-runtime.js';
import { acknowledgeOutboxFindings } from './outbox-findings.js';
import { EVENT_QUEUE, OUTBOX } from './settings.js';
import { DEFAULT_TABLE_ENCRYPTION } from './table-encryption.js';

/**
 * Props of `Outbox`: the destinations the publisher may reach, the webhook signing secret,
 * retries, retention and encryption.
 *
 * @example
 * ```ts
 * import { App, Duration, Stack } from 'aws-cdk-lib';
 * import { Queue } from 'aws-cdk-lib/aws-sqs';
 * import { Outbox, type OutboxProps } from 'txonce/cdk';
 *
 * const stack = new Stack(new App(), 'billing');
 * const props: OutboxProps = { queues: [new Queue(stack, 'Partner')], retryWindow: Duration.minutes(15) };
 * new Outbox(stack, 'Outbox', props);
 * ```
 */
export interface OutboxProps {
  /** Destinations the publisher may deliver to; each gets exactly the grant its kind needs. */
  eventBuses?: IEventBus[];
  topics?: ITopic[];
  queues?: IQueue[];
  /** Deliver to HTTPS endpoints, signed with this Standard Webhooks secret. Default: a generated one. */
  webhookSigningSecret?: ISecret;
  /** How long after its first attempt a message is retried before it goes to the failure queue. Default 5 minutes. */
  retryWindow?: Duration;
  /** An optional cap on attempts inside the retry window. Default: none, the window decides. */
  maxAttempts?: number;
  /** Stream records per invocation. Default 10. */
  batchSize?: number;
  /** Retries of a failing stream batch before its metadata goes to the on-failure queue. Default 5. */
  retryAttempts?: number;
  /** The outbox table's, failure queue's and generated secret's removal policy. Default RETAIN. */
  removalPolicy?: RemovalPolicy;
  /** The outbox table's deletion protection. Default true. */
  deletionProtection?: boolean;
  /** Default: the AWS managed key, as every txonce table. */
  encryption?: TableEncryptionV2;
  /** How long a delivered message stays in the table before TTL deletes it. Default 7 days. */
  deliveredRetention?: Duration;
  /** The publisher's log retention. Default one month. */
  retention?: RetentionDays;
  /** The publisher's Lambda runtime: Node.js 22 or newer. Default: the newest Node.js runtime your aws-cdk-lib knows. */
  runtime?: Runtime;
}

/**
 * The transactional outbox: a table that `tx.emit()` writes in the same transaction as the
 * business writes, and a publisher triggered by its stream (INSERTs only) that delivers each
 * message at least once under a stable id. Messages that exhaust their attempts, and stream
 * batches that exhaust theirs, land in the failure queue.
 *
 * @example
 * ```ts
 * import { App, Stack } from 'aws-cdk-lib';
 * import { Topic } from 'aws-cdk-lib/aws-sns';
 * import { Outbox } from 'txonce/cdk';
 *
 * const stack = new Stack(new App(), 'billing');
 * const receipts = new Topic(stack, 'Receipts');
 * const outbox = new Outbox(stack, 'Outbox', { topics: [receipts] });
 * export const outboxTableName = outbox.table.tableName; // the store's outboxTable; grant emitters with outbox.grantEmit(fn)
 * ```
 */
export class Outbox extends Construct {
  readonly table: TableV2;
  readonly publisher: LambdaFunction;
  readonly failureQueue: Queue;
  readonly signingSecret: ISecret;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: OutboxProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: OUTBOX.partitionKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      dynamoStream: StreamViewType.NEW_IMAGE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // the publisher stamps delivered messages with an expiry: the table does not grow without bound
      // (TTL deletions are REMOVE stream events, which the INSERT filter below ignores)
      timeToLiveAttribute: OUTBOX.ttlAttribute,
      encryption: props.encryption ?? DEFAULT_TABLE_ENCRYPTION,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy,
    });
    this.failureQueue = new Queue(this, 'FailureQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(EVENT_QUEUE.deadLetterRetentionDays),
      removalPolicy,
    });
    this.signingSecret =
      props.webhookSigningSecret ??
      new Secret(this, 'SigningSecret', {
        description:
          'Standard Webhooks signing secret the outbox publisher signs webhooks with (give it to the receivers)',
        // 32 letters and digits: valid base64, as a Standard Webhooks secret must be
        generateSecretString: { passwordLength: 32, excludePunctuation: true },
        removalPolicy,
      });

    this.publisher = txonceFunction(this, 'Publisher', {
      source: { prebuilt: 'publisher' },
      runtime: functionRuntime('Outbox', props.runtime),
      retention: props.retention ?? RetentionDays.ONE_MONTH,
      timeout: Duration.seconds(60),
      memorySize: 256,
      environment: {
        [PUBLISHER_ENVIRONMENT.outboxTable]: this.table.tableName,
        [PUBLISHER_ENVIRONMENT.failureQueueUrl]: this.failureQueue.queueUrl,
        [PUBLISHER_ENVIRONMENT.signingSecretId]: this.signingSecret.secretArn,
        ...(props.maxAttempts !== undefined ? { [PUBLISHER_ENVIRONMENT.maxAttempts]: String(props.maxAttempts) } : {}),
        ...(props.retryWindow
          ? { [PUBLISHER_ENVIRONMENT.retryWindowSeconds]: String(props.retryWindow.toSeconds()) }
          : {}),
        // the publisher sets OUTBOX_TTL_ATTRIBUTE = now + this on a message once it is delivered
        [PUBLISHER_ENVIRONMENT.ttlAttribute]: OUTBOX.ttlAttribute,
        [PUBLISHER_ENVIRONMENT.deliveredRetentionSeconds]: String(
          (props.deliveredRetention ?? Duration.days(OUTBOX.deliveredRetentionDays)).toSeconds(),
        ),
        [POWERTOOLS_ENVIRONMENT.serviceName]: 'txonce-publisher',
      },
    });
    this.publisher.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: props.batchSize ?? 10,
        retryAttempts: props.retryAttempts ?? 5,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.failureQueue),
        // only new messages: the publisher's own bookkeeping updates are MODIFY events
        filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT') })],
      }),
    );
    // it reads an item before delivering (a redelivered stream record must not repeat a settled delivery), then updates it
    this.table.grant(this.publisher, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    this.failureQueue.grantSendMessages(this.publisher);
    this.signingSecret.grantRead(this.publisher);
    for (const bus of props.eventBuses ?? []) bus.grantPutEventsTo(this.publisher);
    for (const topic of props.topics ?? []) topic.grantPublish(this.publisher);
    for (const queue of props.queues ?? []) queue.grantSendMessages(this.publisher);

    this.alarm(
      'Undelivered',
      this.failureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      1,
      'Outbox messages could not be delivered: they are in the failure queue.',
    );
    this.alarm(
      'PublisherErrors',
      this.publisher.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      1,
      'The outbox publisher failed.',
    );
    this.alarm(
      'PublisherBehind',
      this.publisher.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' }),
      Duration.minutes(5).toMilliseconds(),
      'The outbox publisher is more than 5 minutes behind the stream.',
    );
    acknowledgeOutboxFindings(this);
  }

  /** What a consumer needs to emit: putting outbox items inside its transaction. */
  grantEmit(grantee: IGrantable) {
    return this.table.grant(grantee, 'dynamodb:PutItem');
  }

  private alarm(id: string, metric: IMetric, threshold: number, description: string): void {
    this.alarms.push(thresholdAlarm(this, id, metric, threshold, description));
  }
}
