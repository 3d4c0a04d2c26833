import { existsSync, readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stateFilePath } from '../local/state-file.js';

export interface ConnectionOptions {
  endpoint?: string;
  region?: string;
}

/** What `npm start` writes, so the CLI works against the local stack without flags. */
export interface LocalState {
  dynamoEndpoint: string;
  sqsEndpoint: string;
  source: string;
  resources: { dedupTable: string; outboxTable: string; queueUrl: string; deadLetterQueueUrl: string };
}

export function localState(file = stateFilePath()): LocalState | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LocalState) : undefined;
}

/**
 * Clients for AWS (the default credential chain and region) or a local endpoint (--endpoint,
 * TXONCE_ENDPOINT, or the running local stack). Local endpoints get dummy credentials.
 */
export function clients(options: ConnectionOptions, local = localState()) {
  const explicit = options.endpoint ?? process.env.TXONCE_ENDPOINT;
  const region =
    options.region ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    (explicit || local ? 'us-east-1' : undefined);
  const config = (endpoint: string | undefined) =>
    endpoint
      ? { endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 2 }
      : { region };
  return {
    sqs: new SQSClient(config(explicit ?? local?.sqsEndpoint)),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(config(explicit ?? local?.dynamoEndpoint))),
  };
}
