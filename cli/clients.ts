import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readStateFile, stateFilePath } from '../ops/state-file.js';
import { UsageError } from './exit-codes.js';

export interface ConnectionOptions {
  endpoint?: string;
  region?: string;
}

/** What `npm start` writes, so the CLI works against the local stack without flags. */
export interface LocalState {
  dynamoEndpoint: string;
  sqsEndpoint: string;
  /** moto itself (S3, Secrets Manager) */
  motoEndpoint?: string;
  /** the first webhook source's name (the only one's, with a single source) */
  source: string;
  /** every webhook source of the running pipeline */
  webhookSources?: { name: string; scheme: string }[];
  /** the webhook signing secret the local stack verifies with (every source's, locally) */
  secret?: string;
  resources: {
    dedupTable: string;
    outboxTable: string;
    queueUrl: string;
    deadLetterQueueUrl: string;
    archiveBucket?: string;
  };
}

/** The running local stack, if any; a state file left by a stack that is gone is said plainly. */
export function localState(file = stateFilePath()): LocalState | undefined {
  const { state, problem } = readStateFile<LocalState & { pid?: number }>(file);
  if (problem) throw new UsageError(`${problem} Or pass --endpoint and the resource explicitly.`);
  return state;
}

/** Why a local endpoint is not one, or undefined when it is an http(s) URL. */
export function endpointProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : `is a ${url.protocol} URL, not http(s)`;
}

export const ENDPOINT_EXAMPLE = 'http://127.0.0.1:4566';

function endpointFromEnvironment(): string | undefined {
  const value = process.env.TXONCE_ENDPOINT;
  const problem = value ? endpointProblem(value) : undefined;
  if (problem)
    throw new UsageError(
      `TXONCE_ENDPOINT is '${value}', which ${problem}: set it to an endpoint such as ${ENDPOINT_EXAMPLE}, or unset it.`,
    );
  return value || undefined;
}

/**
 * Clients for AWS (the default credential chain and region) or a local endpoint (--endpoint,
 * TXONCE_ENDPOINT, or the running local stack). Local endpoints get dummy credentials.
 */
export function clients(options: ConnectionOptions) {
  const explicit = options.endpoint ?? endpointFromEnvironment();
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
    // a local S3 (moto) is addressed by path: no bucket.127.0.0.1 host names
    s3: new S3Client({
      ...config(explicit ?? local?.motoEndpoint),
      forcePathStyle: (explicit ?? local?.motoEndpoint) !== undefined,
    }),
    secrets: new SecretsManagerClient(config(explicit ?? local?.motoEndpoint)),
  };
}
