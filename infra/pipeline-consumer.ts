import type { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { CONSUMER_ENVIRONMENT, POWERTOOLS_ENVIRONMENT } from '../lib/contracts/environment.js';
import type { IdempotencyTable } from './idempotency-table.js';
import { type FunctionSource, txonceFunction } from './lambda-function.js';

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

export const CONSUMER_SERVICE = 'txonce-consumer';

/** What the consumer step needs: its own props and the pipeline's parts it uses. */
export interface ConsumerStepOptions {
  consumer: ConsumerProps;

  /** the sources' names: one is IDEMPOTENCY_SOURCE, several IDEMPOTENCY_SOURCES */
  sourceNames: string[];
  single: boolean;
  idempotency: IdempotencyTable;
  queue: IQueue;
  deadLetterQueue: IQueue;
  timeout: Duration;
  runtime: Runtime;
  retention: RetentionDays;
  batchSize: number | undefined;
  maxBatchingWindow: Duration | undefined;
  maxConcurrency: number;
}

/**
 * The consumer: one for every source. Its namespace comes from the pipeline: IDEMPOTENCY_SOURCE
 * for a single source; IDEMPOTENCY_SOURCES for several, each message naming its own in its
 * `source` attribute (a store per source, `sqsBatchHandlerPerSource`).
 */
export function consumerFunction(scope: Construct, options: ConsumerStepOptions): LambdaFunction {
  const { consumer } = options;
  const namespace: Record<string, string> = options.single
    ? { [CONSUMER_ENVIRONMENT.source]: options.sourceNames[0] }
    : { [CONSUMER_ENVIRONMENT.sources]: options.sourceNames.join(',') };
  const fn = txonceFunction(scope, 'Consumer', {
    source: consumerSource(consumer),
    runtime: options.runtime,
    retention: options.retention,
    timeout: options.timeout,
    memorySize: consumer.memorySize ?? 512,
    environment: {
      [CONSUMER_ENVIRONMENT.dedupTable]: options.idempotency.table.tableName,
      [CONSUMER_ENVIRONMENT.deadLetterQueueUrl]: options.deadLetterQueue.queueUrl,
      ...namespace,
      [POWERTOOLS_ENVIRONMENT.serviceName]: CONSUMER_SERVICE,
      [POWERTOOLS_ENVIRONMENT.metricsNamespace]: 'txonce',
      ...consumer.environment,
    },
  });
  options.idempotency.grantConsumer(fn);
  for (const table of consumer.tables ?? []) {
    table.grant(fn, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem');
  }
  options.deadLetterQueue.grantSendMessages(fn);
  fn.addEventSource(
    new SqsEventSource(options.queue, {
      batchSize: options.batchSize ?? 10,
      maxBatchingWindow: options.maxBatchingWindow,
      maxConcurrency: options.maxConcurrency,
      reportBatchItemFailures: true,
    }),
  );
  return fn;
}

function consumerSource(consumer: ConsumerProps): FunctionSource {
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
