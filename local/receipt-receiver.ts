import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  Idempotency,
  type IdempotentContext,
  idempotency,
  type VerifiedWebhookEvent,
  verifyWebhook,
} from '../lib/index.js';

export interface ReceiptReceiverOptions {
  dynamo: DynamoDBDocumentClient;
  dedupTable: string;
  receiptsTable: string;
  /** the secret the publisher signs with */
  signingSecret: string;
  /** Share of messages whose first answer is "lost" after the receiver committed (a 503), so the publisher retries. */
  loseFirstAnswer?: number;
  onReceipt?: (id: string, status: 'applied' | 'duplicate' | 'answer lost') => void;
}

/**
 * A partner's webhook endpoint, built on txonce: it verifies the publisher's Standard Webhooks
 * signature and applies each message id once (counting receipts per invoice), however often the
 * publisher delivers it.
 */
export function receiptReceiver(options: ReceiptReceiverOptions) {
  const store = new Idempotency({ client: options.dynamo, tableName: options.dedupTable, source: 'receipts' });
  const lost = new Set<string>();
  const receive = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(verifyWebhook({ scheme: 'standard-webhooks', secrets: options.signingSecret }))
    .handler(
      idempotency(
        { store, key: (event: APIGatewayProxyEvent) => (event as VerifiedWebhookEvent).webhook.id },
        async (event, context) => {
          const { data } = JSON.parse(event.body ?? '{}');
          context.tx.update({
            TableName: options.receiptsTable,
            Key: { pk: data.invoiceId },
            UpdateExpression: 'ADD receipts :one SET customerId = :customer',
            ExpressionAttributeValues: { ':one': 1, ':customer': data.customerId },
          });
          return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"received":true}' };
        },
      ),
    );

  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const id = event.headers['webhook-id'] ?? '';
    const own = { ...context } as IdempotentContext;
    const response = await receive(event, own);
    const applied = own.idempotencyStatus === 'committed';
    if (response.statusCode !== 200) return response;
    if (applied && !lost.has(id) && Math.random() < (options.loseFirstAnswer ?? 0)) {
      lost.add(id);
      options.onReceipt?.(id, 'answer lost');
      return { statusCode: 503, body: 'the answer was lost on the way back' };
    }
    options.onReceipt?.(id, applied ? 'applied' : 'duplicate');
    return response;
  };
}
