// The same SQS consumer as cold/txonce-consumer.ts, built on the Powertools idempotency and batch utilities.

import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

const client = new DynamoDBClient({});
const documents = DynamoDBDocumentClient.from(client);
const config = new IdempotencyConfig({ eventKeyJmesPath: 'messageAttributes.idempotencyKey.stringValue' });
const processor = new BatchProcessor(EventType.SQS);

const record = makeIdempotent(
  async (message: SQSRecord) => {
    const event = JSON.parse(message.body);
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: 'invoices', Item: { pk: event.invoiceId, amount: event.amount } } },
          {
            Update: {
              TableName: 'customers',
              Key: { pk: event.customerId },
              UpdateExpression: 'ADD paidTotal :amount',
              ExpressionAttributeValues: { ':amount': event.amount },
            },
          },
        ],
      }),
    );
  },
  { persistenceStore: new DynamoDBPersistenceLayer({ tableName: 'idempotency', awsSdkV3Client: client }), config },
);

export const handler = async (event: SQSEvent, context: Context) => {
  config.registerLambdaContext(context);
  return processPartialResponse(event, record, processor, { context });
};
