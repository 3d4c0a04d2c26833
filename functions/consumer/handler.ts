import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { POWERTOOLS_ENVIRONMENT } from '../../lib/contracts/environment.js';
import { Idempotency } from '../../lib/index.js';
import { readConsumerConfig } from './config.js';
import { createConsumer } from './consumer.js';

// Cold start: a missing or wrong setting fails here, with every problem named, before any record is touched.
const config = readConsumerConfig(process.env);
const serviceName = process.env[POWERTOOLS_ENVIRONMENT.serviceName] ?? 'txonce-consumer';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const store = (source: string) =>
  new Idempotency({
    client,
    tableName: config.dedupTable,
    source,
    ttlSeconds: config.ttlSeconds,
    outboxTable: config.outboxTable,
  });

export const handler = createConsumer({
  // several sources: a store each, so each source's records keep their own namespace
  store: config.sources
    ? Object.fromEntries(config.sources.map((source) => [source, store(source)]))
    : store(config.source),
  tables: { invoicesTable: config.invoicesTable, customersTable: config.customersTable, receipts: config.receipts },
  deadLetter: config.deadLetterQueueUrl
    ? { client: new SQSClient({}), queueUrl: config.deadLetterQueueUrl }
    : undefined,
  logger: new Logger({ serviceName }),
  metrics: new Metrics({ namespace: process.env[POWERTOOLS_ENVIRONMENT.metricsNamespace] ?? 'txonce', serviceName }),
});
