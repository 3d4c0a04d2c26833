import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readStateFile, stateFilePath } from '../local/state-file.js';
import { UsageError } from './exit-codes.js';

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

/** The running local stack, if any; a state file left by a stack that is gone is said plainly. */
export function localState(file = stateFilePath()): LocalState | undefined {
  const { state, problem } = readStateFile<LocalState & { pid?: number }>(file);
  if (problem) throw new UsageError(`${problem} Or pass --endpoint and the resource explicitly.`);
  return state;
}

/**
 * Clients for AWS (the default credential chain and region) or a local endpoint (--endpoint,
 * TXONCE_ENDPOINT, or the running local stack). Local endpoints get dummy credentials.
 */
export function clients(options: ConnectionOptions) {
  const explicit = options.endpoint ?? process.env.TXONCE_ENDPOINT;
  // a local stack's state matters only when no endpoint was given
  const local = explicit ? undefined : localState();
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
