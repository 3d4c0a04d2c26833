import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { Idempotency, type IdempotentContext, idempotency } from '../lib/index.js';
import type { SnsMessage } from './sns-signature.js';

export interface ReceiptReceiverOptions {
  dynamo: DynamoDBDocumentClient;
  dedupTable: string;
  receiptsTable: string;
  /** Checks a notification came from SNS for the receipts topic; the problem in words, or undefined. */
  verify: (notification: SnsMessage) => Promise<string | undefined>;
  onReceipt?: (id: string, status: 'applied' | 'duplicate') => void;
}

/**
 * A partner subscribed over HTTP to the receipts topic the outbox publisher delivers to, built
 * on txonce: it applies each receipt (keyed by the outbox message's stable id) once, counting
 * receipts per invoice, however often it is delivered.
 */
export function receiptReceiver(options: ReceiptReceiverOptions) {
  const store = new Idempotency({ client: options.dynamo, tableName: options.dedupTable, source: 'receipts' });
  const receive = idempotency(
    {
      store,
      key: (event: APIGatewayProxyEvent) => receiptOf(event)?.id ?? '',
    },
    async (event: APIGatewayProxyEvent, context: IdempotentContext) => {
      const { data } = receiptOf(event) as Receipt;
      context.tx.update({
        TableName: options.receiptsTable,
        Key: { pk: data.invoiceId },
        UpdateExpression: 'ADD receipts :one SET customerId = :customer',
        ExpressionAttributeValues: { ':one': 1, ':customer': data.customerId },
      });
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"received":true}' };
    },
  );

  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const notification = notificationOf(event);
    // SNS's subscription confirmations and anything else that is not a notification: nothing to apply
    if (notification?.Type !== 'Notification') return { statusCode: 200, body: '' };
    const problem = await options.verify(notification);
    if (problem)
      return { statusCode: 403, body: JSON.stringify({ message: `Not a notification from SNS: ${problem}.` }) };
    const receipt = receiptOf(event);
    if (!receipt?.id || !receipt.data?.invoiceId) return { statusCode: 200, body: '' };
    const own = { ...context } as IdempotentContext;
    const response = (await receive(event, own)) as APIGatewayProxyResult;
    options.onReceipt?.(receipt.id, own.idempotencyStatus === 'committed' ? 'applied' : 'duplicate');
    return response;
  };
}

interface Receipt {
  id: string;
  data: { invoiceId: string; customerId: string };
}

function notificationOf(event: APIGatewayProxyEvent): SnsMessage | undefined {
  try {
    const notification = JSON.parse(event.body ?? '');
    return typeof notification === 'object' && notification !== null ? (notification as SnsMessage) : undefined;
  } catch {
    return undefined;
  }
}

/** An SNS HTTP notification's Message: the outbox envelope ({ id, type, timestamp, data }). */
function receiptOf(event: APIGatewayProxyEvent): Receipt | undefined {
  try {
    const notification = notificationOf(event);
    if (notification?.Type !== 'Notification') return undefined;
    return JSON.parse(notification.Message ?? '') as Receipt;
  } catch {
    return undefined;
  }
}
