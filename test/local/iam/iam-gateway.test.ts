import { createServer } from 'node:http';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamAuthorizer, type IamModel } from '../../../local/iam/authorizer.js';
import type { ExecutionRole } from '../../../local/iam/execution-roles.js';
import { type IamGateway, startIamGateway } from '../../../local/iam/iam-gateway.js';
import { listenOnLoopback } from '../../../local/loopback-server.js';

// A denied call fails in the function as AWS fails it: the SDK of each service throws the error
// that service returns, with AWS's sentence, and nothing reaches the emulator. With IAM off the
// same call goes through.

const ACCOUNT = '123456789012';
const role: ExecutionRole = {
  functionId: 'Fn',
  roleId: 'FnRole',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/s-FnRole`,
  sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/s-FnRole/s-Fn`,
  policies: [{ name: 'nothing', document: { Version: '2012-10-17', Statement: [] } }],
};
const model: IamModel = {
  rolesByAccessKey: new Map([['FN', role]]),
  resourcePolicies: { policyOf: () => undefined, encryptionKey: () => undefined },
  arns: {
    region: 'us-east-1',
    account: ACCOUNT,
    secretArn: (id) => `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${id}-AbCdEf`,
    encryptionKey: () => undefined,
  },
};
const reached: string[] = [];
let emulator: { url: string; stop(): Promise<void> };
const gateways: IamGateway[] = [];

beforeAll(async () => {
  // stands for the emulators: answers every call with an empty success
  emulator = await listenOnLoopback(
    createServer((request, response) => {
      reached.push(String(request.headers['x-amz-target'] ?? 'query'));
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end('{}');
    }),
  );
});
afterAll(async () => {
  for (const gateway of gateways) await gateway.stop();
  await emulator.stop();
});

const gateway = async (enforce: boolean) => {
  const started = await startIamGateway({
    authorizer: new IamAuthorizer(() => model),
    enforce,
    upstream: () => emulator.url,
  });
  gateways.push(started);
  return started.url;
};
const config = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'FN', secretAccessKey: 'x' },
  maxAttempts: 1,
});
const thrown = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('expected AWS to refuse it'),
    (error: Error) => error,
  );
const sentence = (action: string, resource: string) =>
  `User: ${role.sessionArn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

describe('a call the role does not allow', () => {
  it('DynamoDB: AccessDeniedException, in AWS’s words, and the emulator never sees it', async () => {
    const endpoint = await gateway(true);
    reached.length = 0;
    const error = await thrown(
      new DynamoDBClient(config(endpoint)).send(new GetItemCommand({ TableName: 'dedup', Key: { pk: { S: 'k' } } })),
    );
    expect(error).toMatchObject({
      name: 'AccessDeniedException',
      message: sentence('dynamodb:GetItem', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/dedup`),
      $metadata: { httpStatusCode: 400 },
    });
    expect(reached).toEqual([]);
  });

  it('SQS (JSON protocol): AccessDenied, as its query-compatible error code says', async () => {
    const error = await thrown(
      new SQSClient(config(await gateway(true))).send(
        new SendMessageCommand({ QueueUrl: `http://127.0.0.1:1/${ACCOUNT}/dlq`, MessageBody: 'x' }),
      ),
    );
    expect(error).toMatchObject({
      name: 'AccessDenied',
      message: sentence('sqs:SendMessage', `arn:aws:sqs:us-east-1:${ACCOUNT}:dlq`),
    });
  });

  it('SNS (query protocol): AuthorizationError (the SDK’s AuthorizationErrorException), the action written as SNS writes it', async () => {
    const TopicArn = `arn:aws:sns:us-east-1:${ACCOUNT}:receipts`;
    const error = await thrown(
      new SNSClient(config(await gateway(true))).send(new PublishCommand({ TopicArn, Message: 'x' })),
    );
    expect(error).toMatchObject({
      name: 'AuthorizationErrorException',
      message: sentence('SNS:Publish', TopicArn),
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('Secrets Manager: AccessDeniedException on the secret’s ARN', async () => {
    const error = await thrown(
      new SecretsManagerClient(config(await gateway(true))).send(new GetSecretValueCommand({ SecretId: 'webhook' })),
    );
    expect(error).toMatchObject({
      name: 'AccessDeniedException',
      message: sentence(
        'secretsmanager:GetSecretValue',
        `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:webhook-AbCdEf`,
      ),
    });
  });

  it('S3 (REST XML, path style): AccessDenied on the object’s ARN, and the emulator never sees it', async () => {
    const before = reached.length;
    const error = await thrown(
      new S3Client({ ...config(await gateway(true)), forcePathStyle: true }).send(
        new PutObjectCommand({ Bucket: 'archive', Key: 'stripe/2026/evt.json', Body: '{}' }),
      ),
    );
    expect(error).toMatchObject({
      name: 'AccessDenied',
      message: sentence('s3:PutObject', 'arn:aws:s3:::archive/stripe/2026/evt.json'),
      $metadata: { httpStatusCode: 403 },
    });
    expect(reached).toHaveLength(before);
  });

  it('with IAM off, goes through to the emulator', async () => {
    reached.length = 0;
    await new DynamoDBClient(config(await gateway(false))).send(
      new GetItemCommand({ TableName: 'dedup', Key: { pk: { S: 'k' } } }),
    );
    expect(reached).toEqual(['DynamoDB_20120810.GetItem']);
  });
});
