// The same SQS consumer as cold/peer-consumer.ts, built on txonce: bundled and timed by cold-start.ts.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Idempotency, sqsBatchHandler } from '../../lib/index.js';

const store = new Idempotency({
  client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  tableName: 'dedup',
  source: 'bench',
});

export const handler = sqsBatchHandler({
  store,
  handler: (record, tx) => {
    const event = JSON.parse(record.body);
    tx.put({ TableName: 'invoices', Item: { pk: event.invoiceId, amount: event.amount } });
    tx.update({
      TableName: 'customers',
      Key: { pk: event.customerId },
      UpdateExpression: 'ADD paidTotal :amount',
      ExpressionAttributeValues: { ':amount': event.amount },
    });
  },
});
