import { Duration } from 'aws-cdk-lib';
import type { ITable, ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { type Function as LambdaFunction, type Runtime, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONSUMER_ENVIRONMENT } from '../lib/contracts/environment.js';
import type { IdempotencyTable } from './idempotency-table.js';
import { type FunctionSource, txonceFunction } from './lambda-function.js';
import { functionRuntime } from './lambda-runtime.js';

/**
 * The ordered stream a consumer reads: a Kinesis data stream, or a DynamoDB table's stream.
 *
 * @example
 * ```ts
 * import { App, Stack } from 'aws-cdk-lib';
 * import { Stream } from 'aws-cdk-lib/aws-kinesis';
 * import type { StreamSourceProps } from 'txonce/cdk';
 *
 * const stack = new Stack(new App(), 'deposits');
 * export const source: StreamSourceProps = { kinesis: new Stream(stack, 'Events') }; // or { dynamodbTable: table }
 * ```
 */
export type StreamSourceProps = { kinesis: IStream } | { dynamodbTable: ITable };

/**
 * Props of `StreamConsumer`: the stream, your handler, the dedup table, the tables it writes, and
 * the event source mapping's batching, retries and failure destination.
 *
 * @example
 * ```ts
 * import { App, Stack } from 'aws-cdk-lib';
 * import { AttributeType, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
 * import { IdempotencyTable, StreamConsumer, type StreamConsumerProps } from 'txonce/cdk';
 *
 * const stack = new Stack(new App(), 'orders');
 * const orders = new TableV2(stack, 'Orders', {
 *   partitionKey: { name: 'pk', type: AttributeType.STRING },
 *   dynamoStream: StreamViewType.NEW_IMAGE,
 * });
 * const props: StreamConsumerProps = {
 *   stream: { dynamodbTable: orders },
 *   source: { entry: 'src/orders-stream.ts' },
 *   idempotency: new IdempotencyTable(stack, 'Dedup'),
 *   retryAttempts: 3,
 * };
 * new StreamConsumer(stack, 'OrdersStream', props);
 * ```
 */
export interface StreamConsumerProps {
  /** What triggers the consumer. A table must have its stream enabled (`stream` / `dynamoStream`). */
  stream: StreamSourceProps;
  /** The consumer's code: a `kinesisBatchHandler` or `dynamodbStreamBatchHandler` exported as `handler`. */
  source: FunctionSource;
  /** The dedup table; the consumer gets its name as DEDUP_TABLE. */
  idempotency: IdempotencyTable;
  /** Business tables the consumer writes in its transactions: granted the transaction's write actions only. */
  tables?: ITableV2[];
  /** Extra environment for the consumer. */
  environment?: Record<string, string>;
  /** Default 30 s. */
  timeout?: Duration;
  /** Default 512. */
  memorySize?: number;
  /** Default one month. */
  logRetention?: RetentionDays;
  /** The consumer's Lambda runtime: Node.js 22 or newer. Default: the newest Node.js runtime your aws-cdk-lib knows. */
  runtime?: Runtime;
  /** Records per invocation. Default 100. */
  batchSize?: number;
  /** Default: none (invoke as soon as records arrive). */
  maxBatchingWindow?: Duration;
  /** Batches of one shard processed at once (1-10); records of a partition key stay in order. Default 1. */
  parallelizationFactor?: number;
  /** Default TRIM_HORIZON: a new consumer starts with the oldest record, missing none. */
  startingPosition?: StartingPosition;
  /**
   * Retries of a failing batch before its records go to `onFailure`. Default 10: bounded, so one
   * record that can never succeed holds its shard for minutes, not for the stream's retention.
   */
  retryAttempts?: number;
  /** Records older than this go to `onFailure` without running. Default: none (the stream's retention). */
  maxRecordAge?: Duration;
  /** Where a batch that exhausted its retries is described. Default: a new encrypted SQS queue (`failures`). */
  onFailure?: IQueue;
}

/**
 * A txonce consumer on a Kinesis or DynamoDB stream: the event source mapping reports batch item
 * failures (the checkpoint txonce's stream handlers return), bisects a batch whose invocation
 * fails, retries a bounded number of times and then sends the failed records' description to
 * an on-failure destination, so a poisoned record cannot stall its shard for good.
 *
 * @example
 * ```ts
 * import { App, Stack } from 'aws-cdk-lib';
 * import { Stream } from 'aws-cdk-lib/aws-kinesis';
 * import { IdempotencyTable, StreamConsumer } from 'txonce/cdk';
 *
 * const stack = new Stack(new App(), 'deposits');
 * new StreamConsumer(stack, 'Deposits', {
 *   stream: { kinesis: new Stream(stack, 'Events') },
 *   source: { entry: 'src/deposits.ts' }, // exporting a kinesisBatchHandler as `handler`
 *   idempotency: new IdempotencyTable(stack, 'Dedup'),
 * });
 * ```
 */
export class StreamConsumer extends Construct {
  readonly function: LambdaFunction;
  /** The on-failure destination: one message per batch that ran out of retries, naming its shard and sequence range. */
  readonly failures: IQueue;

  constructor(scope: Construct, id: string, props: StreamConsumerProps) {
    super(scope, id);
    const source = props.stream as Partial<{ kinesis: IStream; dynamodbTable: ITable }>;
    if (!source.kinesis === !source.dynamodbTable) {
      throw new TypeError('StreamConsumer: `stream` must name exactly one of { kinesis } or { dynamodbTable }.');
    }

    this.function = txonceFunction(this, 'Consumer', {
      source: props.source,
      runtime: functionRuntime('StreamConsumer', props.runtime),
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 512,
      environment: { [CONSUMER_ENVIRONMENT.dedupTable]: props.idempotency.table.tableName, ...props.environment },
    });
    props.idempotency.grantConsumer(this.function);
    for (const table of props.tables ?? []) {
      table.grant(
        this.function,
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:ConditionCheckItem',
      );
    }

    this.failures =
      props.onFailure ??
      new Queue(this, 'Failures', {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });

    const mapping = {
      startingPosition: props.startingPosition ?? StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? 100,
      maxBatchingWindow: props.maxBatchingWindow,
      parallelizationFactor: props.parallelizationFactor ?? 1,
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: props.retryAttempts ?? 10,
      maxRecordAge: props.maxRecordAge,
      onFailure: new SqsDlq(this.failures),
    };
    this.function.addEventSource(
      source.kinesis
        ? new KinesisEventSource(source.kinesis, mapping)
        : new DynamoEventSource(source.dynamodbTable as ITable, mapping),
    );
  }
}
