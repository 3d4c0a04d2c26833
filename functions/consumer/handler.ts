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

export const handler = createConsumer({
  store: new Idempotency({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    tableName: config.dedupTable,
    source: config.source,
    ttlSeconds: config.ttlSeconds,
    outboxTable: config.outboxTable,
  }),
  tables: { invoicesTable: config.invoicesTable, customersTable: config.customersTable, receipts: config.receipts },
  deadLetter: config.deadLetterQueueUrl
    ? { client: new SQSClient({}), queueUrl: config.deadLetterQueueUrl }
    : undefined,
  logger: new Logger({ serviceName }),
  metrics: new Metrics({ namespace: process.env[POWERTOOLS_ENVIRONMENT.metricsNamespace] ?? 'txonce', serviceName }),
});
