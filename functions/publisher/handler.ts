import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { POWERTOOLS_ENVIRONMENT } from '../../lib/contracts/environment.js';
import { usableSecrets } from '../../lib/index.js';
import { readPublisherConfig } from './config.js';
import { createPublisher } from './publisher.js';

// Cold start: wrong settings, or a signing secret that cannot be fetched or used, fail here.
const config = readPublisherConfig(process.env);
const webhookSecret = config.signingSecretId
  ? (await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: config.signingSecretId })))
      .SecretString
  : config.signingSecret;
if (webhookSecret) usableSecrets('standard-webhooks', webhookSecret);

const once = <T>(make: () => T) => {
  let client: T | undefined;
  return () => {
    client ??= make();
    return client;
  };
};
const sqs = once(() => new SQSClient({}));

export const handler = createPublisher({
  dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  outboxTable: config.outboxTable,
  targets: {
    // loaded on first use: most publishers deliver to one or two kinds of destination
    eventBridge: once(async () => new (await import('@aws-sdk/client-eventbridge')).EventBridgeClient({})),
    sns: once(async () => new (await import('@aws-sdk/client-sns')).SNSClient({})),
    sqs,
    webhookSecret,
  },
  failureQueue: config.failureQueueUrl ? { client: sqs(), queueUrl: config.failureQueueUrl } : undefined,
  maxAttempts: config.maxAttempts,
  retryWindowMs: config.retryWindowMs,
  deliveredExpiry: config.deliveredExpiry,
  logger: new Logger({ serviceName: process.env[POWERTOOLS_ENVIRONMENT.serviceName] ?? 'txonce-publisher' }),
});
