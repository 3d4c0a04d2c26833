import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BUSINESS_TABLES, DEDUP_TABLE, EVENT_QUEUE, OUTBOX } from '../infra/settings.js';

/** What the local stack creates, named as on AWS but fixed, so a restart finds them again. */
export interface LocalResources {
  dedupTable: string;
  invoicesTable: string;
  customersTable: string;
  /** tx.emit() writes here; the publisher reads its stream */
  outboxTable: string;
  /** the local receipt receiver's effects */
  receiptsTable: string;
  outboxFailureQueueUrl: string;
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

export interface ProvisionOptions {
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  /** Default: the deployed value (infra/settings.ts). Tests shorten it to see retries quickly. */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  prefix?: string;
}

/**
 * Creates the tables and queues the pipeline needs from the settings the CDK construct reads:
 * key names, the TTL attribute, maxReceiveCount, visibility timeout, retention. Existing ones
 * (a persisted DynamoDB Local folder) are kept.
 */
export async function provision(options: ProvisionOptions): Promise<LocalResources> {
  const prefix = options.prefix ?? 'txonce';
  const names = {
    dedupTable: `${prefix}-dedup`,
    invoicesTable: `${prefix}-invoices`,
    customersTable: `${prefix}-customers`,
    outboxTable: `${prefix}-outbox`,
    receiptsTable: `${prefix}-receipts`,
  };
  await ensureTable(options.dynamo, names.dedupTable, DEDUP_TABLE.partitionKey);
  await options.dynamo
    .send(
      new UpdateTimeToLiveCommand({
        TableName: names.dedupTable,
        TimeToLiveSpecification: { AttributeName: DEDUP_TABLE.ttlAttribute, Enabled: true },
      }),
    )
    .catch((error) => {
      // enabling TTL twice is refused; that it is on is all we need
      if (!/already enabled/i.test((error as Error).message)) throw error;
    });
  await ensureTable(options.dynamo, names.invoicesTable, BUSINESS_TABLES.partitionKey);
  await ensureTable(options.dynamo, names.customersTable, BUSINESS_TABLES.partitionKey);
  await ensureTable(options.dynamo, names.outboxTable, OUTBOX.partitionKey, true);
  await ensureTable(options.dynamo, names.receiptsTable, BUSINESS_TABLES.partitionKey);
  const outboxFailureQueueUrl = await createQueue(options.sqs, `${prefix}-outbox-failures`, {
    MessageRetentionPeriod: String(EVENT_QUEUE.deadLetterRetentionDays * 86400),
  });

  const deadLetterQueueUrl = await createQueue(options.sqs, `${prefix}-events-dlq`, {
    MessageRetentionPeriod: String(EVENT_QUEUE.deadLetterRetentionDays * 86400),
  });
  const deadLetterQueueArn = await queueArn(options.sqs, deadLetterQueueUrl);
  const queueUrl = await createQueue(options.sqs, `${prefix}-events`, {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? EVENT_QUEUE.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(EVENT_QUEUE.retentionDays * 86400),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetterQueueArn,
      maxReceiveCount: options.maxReceiveCount ?? EVENT_QUEUE.maxReceiveCount,
    }),
  });
  return {
    ...names,
    outboxFailureQueueUrl,
    queueUrl,
    queueArn: await queueArn(options.sqs, queueUrl),
    deadLetterQueueUrl,
    deadLetterQueueArn,
  };
}

async function ensureTable(
  dynamo: DynamoDBClient,
  tableName: string,
  partitionKey: string,
  stream = false,
): Promise<void> {
  try {
    await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: stream ? { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } : undefined,
    }),
  );
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return QueueUrl as string;
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn as string;
}
