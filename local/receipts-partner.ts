import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Route } from './http-gateway.js';
import { receiptReceiver } from './receipt-receiver.js';
import { snsDeliveryRetries } from './sns-delivery-retries.js';
import { snsSignatureProblem } from './sns-signature.js';

/**
 * The example app's partner: an HTTP subscriber of the topic its consumer names in
 * RECEIPTS_TOPIC_ARN (the receipts the outbox publisher delivers), built on txonce. Only a
 * template whose consumer has that variable gets it; a user's app without one gets nothing.
 */
export async function receiptsPartner(options: {
  stackName: string;
  topicArn: string | undefined;
  dynamo: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  dedupTable: () => string;
  /** the moto endpoint now (it may change when moto is brought back) */
  motoEndpoint: () => string;
  onReceipt: (id: string, status: 'applied' | 'duplicate') => void;
  onDeliveryFailure: (message: string) => void;
}): Promise<
  | { route: Route; receiptsTable: string; subscribe(sns: SNSClient, gatewayUrl: string): Promise<void>; stop(): void }
  | undefined
> {
  const { topicArn } = options;
  if (!topicArn) return undefined;
  const receiptsTable = `${options.stackName}-local-receipts`;
  await options.dynamo
    .send(
      new CreateTableCommand({
        TableName: receiptsTable,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    )
    .catch((error) => {
      if ((error as Error).name !== 'ResourceInUseException') throw error;
    });
  const certificates = new Map<string, Promise<string>>();
  const motoCertificate = (url: string) => {
    if (!certificates.has(url)) certificates.set(url, snsCertificateFromMoto(options.motoEndpoint(), url));
    return certificates.get(url) as Promise<string>;
  };
  // moto delivers a notification once; SNS retries a failed delivery, so this does it for moto
  const retries = snsDeliveryRetries({
    onFailure: (delivery, why, retryInMs) =>
      options.onDeliveryFailure(
        `The receipts topic's delivery ${delivery} to /receipts failed (${why}); ${retryInMs === undefined ? 'SNS gives up, as its delivery policy says' : `SNS delivers it again in ${retryInMs / 1000} s`}.`,
      ),
  });
  return {
    receiptsTable,
    route: {
      method: 'POST',
      path: '/receipts',
      handler: retries.wrap(
        receiptReceiver({
          dynamo: options.documents,
          dedupTable: options.dedupTable(),
          receiptsTable,
          verify: (notification) => snsSignatureProblem(notification, { topicArn, certificate: motoCertificate }),
          onReceipt: options.onReceipt,
        }),
      ),
    },
    subscribe: async (sns, gatewayUrl) => {
      await sns.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: `${gatewayUrl}/receipts` }),
      );
    },
    stop: () => retries.stop(),
  };
}

/**
 * moto signs its notifications as SNS does and serves each certificate at SNS's path; moto
 * server tells services apart by the request's credential scope, so the request names SNS.
 */
async function snsCertificateFromMoto(motoEndpoint: string, url: string): Promise<string> {
  const { hostname, pathname } = new URL(url);
  const region = hostname.split('.')[1];
  const response = await fetch(`${motoEndpoint}${pathname}`, {
    headers: { authorization: `AWS4-HMAC-SHA256 Credential=local/20260101/${region}/sns/aws4_request` },
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`moto answered HTTP ${response.status} for ${pathname}`);
  return response.text();
}
