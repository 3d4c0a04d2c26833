import { describe, expect, it } from 'vitest';
import { authorizationsFor, type ResourceArns } from '../../../local/iam/request-authorizations.js';
import { readServiceCall, type ServiceCall } from '../../../local/iam/service-call.js';

// Which IAM actions on which resources each API call the functions make needs, as AWS
// authorizes it: the unit under the local stack's IAM enforcement (test/local-iam.test.ts).

const ACCOUNT = '123456789012';
const arn = (service: string, rest: string) => `arn:aws:${service}:us-east-1:${ACCOUNT}:${rest}`;
const encrypted = new Map([
  [arn('sqs', 'sealed'), arn('kms', 'key/QueueKey')],
  [arn('dynamodb', 'table/vault'), arn('kms', 'key/TableKey')],
  [arn('secretsmanager', 'secret:sealed-AbCdEf'), arn('kms', 'key/SecretKey')],
]);
const arns: ResourceArns = {
  region: 'us-east-1',
  account: ACCOUNT,
  secretArn: (id) =>
    id === 'webhook'
      ? arn('secretsmanager', 'secret:webhook-AbCdEf')
      : id === 'sealed'
        ? arn('secretsmanager', 'secret:sealed-AbCdEf')
        : id,
  encryptionKey: (resource) => encrypted.get(resource),
};
const call = (signingName: string, operation: string, input: Record<string, unknown>): ServiceCall => ({
  accessKeyId: 'TXONCEConsumer',
  signingName,
  operation,
  protocol: 'json',
  input,
});
const needs = async (signingName: string, operation: string, input: Record<string, unknown>) =>
  authorizationsFor(call(signingName, operation, input), arns);

describe('DynamoDB', () => {
  it('TransactWriteItems needs each item’s own action on each item’s table', async () => {
    expect(
      await needs('dynamodb', 'TransactWriteItems', {
        TransactItems: [
          { Put: { TableName: 'dedup', Item: {} } },
          { Update: { TableName: 'customers', Key: {} } },
          { Delete: { TableName: 'invoices', Key: {} } },
          { ConditionCheck: { TableName: 'customers', Key: {} } },
        ],
      }),
    ).toEqual({
      authorizations: [
        { action: 'dynamodb:PutItem', resource: arn('dynamodb', 'table/dedup') },
        { action: 'dynamodb:UpdateItem', resource: arn('dynamodb', 'table/customers') },
        { action: 'dynamodb:DeleteItem', resource: arn('dynamodb', 'table/invoices') },
        { action: 'dynamodb:ConditionCheckItem', resource: arn('dynamodb', 'table/customers') },
      ],
    });
  });

  it('TransactGetItems needs GetItem on each table', async () => {
    expect(
      await needs('dynamodb', 'TransactGetItems', { TransactItems: [{ Get: { TableName: 'dedup', Key: {} } }] }),
    ).toEqual({
      authorizations: [{ action: 'dynamodb:GetItem', resource: arn('dynamodb', 'table/dedup') }],
    });
  });

  it('BatchGetItem and BatchWriteItem need their own action on every table they name', async () => {
    expect(await needs('dynamodb', 'BatchGetItem', { RequestItems: { dedup: {}, invoices: {} } })).toEqual({
      authorizations: [
        { action: 'dynamodb:BatchGetItem', resource: arn('dynamodb', 'table/dedup') },
        { action: 'dynamodb:BatchGetItem', resource: arn('dynamodb', 'table/invoices') },
      ],
    });
    expect(await needs('dynamodb', 'BatchWriteItem', { RequestItems: { outbox: [] } })).toEqual({
      authorizations: [{ action: 'dynamodb:BatchWriteItem', resource: arn('dynamodb', 'table/outbox') }],
    });
  });

  it('single-item calls need their operation on the table; a query of an index, on the index', async () => {
    for (const operation of ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'])
      expect(await needs('dynamodb', operation, { TableName: 'outbox', Key: {} })).toEqual({
        authorizations: [{ action: `dynamodb:${operation}`, resource: arn('dynamodb', 'table/outbox') }],
      });
    expect(await needs('dynamodb', 'Query', { TableName: 'outbox', IndexName: 'byStatus' })).toEqual({
      authorizations: [{ action: 'dynamodb:Query', resource: arn('dynamodb', 'table/outbox/index/byStatus') }],
    });
  });

  it('stream reads are on the stream, in the stack’s region and account (not DynamoDB Local’s)', async () => {
    const stream = 'arn:aws:dynamodb:ddblocal:000000000000:table/outbox/stream/2026-12-06T04:00:00.000';
    expect(await needs('dynamodb', 'DescribeStream', { StreamArn: stream })).toEqual({
      authorizations: [
        { action: 'dynamodb:DescribeStream', resource: arn('dynamodb', 'table/outbox/stream/2026-12-06T04:00:00.000') },
      ],
    });
  });

  it('a table encrypted with a customer managed key also needs kms:Decrypt on the key, via DynamoDB', async () => {
    expect(await needs('dynamodb', 'GetItem', { TableName: 'vault', Key: {} })).toEqual({
      authorizations: [
        { action: 'dynamodb:GetItem', resource: arn('dynamodb', 'table/vault') },
        {
          action: 'kms:Decrypt',
          resource: arn('kms', 'key/TableKey'),
          context: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com', 'kms:CallerAccount': ACCOUNT },
        },
      ],
    });
  });
});

describe('SQS, SNS, Secrets Manager, CloudWatch, EventBridge', () => {
  it('SQS calls are on the queue their URL names; batch calls are authorized as their single form', async () => {
    const QueueUrl = `http://127.0.0.1:4566/${ACCOUNT}/dlq`;
    expect(await needs('sqs', 'SendMessage', { QueueUrl })).toEqual({
      authorizations: [{ action: 'sqs:SendMessage', resource: arn('sqs', 'dlq') }],
    });
    expect(await needs('sqs', 'SendMessageBatch', { QueueUrl })).toEqual({
      authorizations: [{ action: 'sqs:SendMessage', resource: arn('sqs', 'dlq') }],
    });
    expect(await needs('sqs', 'DeleteMessageBatch', { QueueUrl })).toEqual({
      authorizations: [{ action: 'sqs:DeleteMessage', resource: arn('sqs', 'dlq') }],
    });
    expect(await needs('sqs', 'ChangeMessageVisibilityBatch', { QueueUrl })).toEqual({
      authorizations: [{ action: 'sqs:ChangeMessageVisibility', resource: arn('sqs', 'dlq') }],
    });
    expect(await needs('sqs', 'GetQueueUrl', { QueueName: 'dlq' })).toEqual({
      authorizations: [{ action: 'sqs:GetQueueUrl', resource: arn('sqs', 'dlq') }],
    });
  });

  it('a queue encrypted with a customer managed key: sending also needs kms:GenerateDataKey and kms:Decrypt, receiving kms:Decrypt', async () => {
    const QueueUrl = `http://127.0.0.1:4566/${ACCOUNT}/sealed`;
    const kms = (action: string) => ({
      action,
      resource: arn('kms', 'key/QueueKey'),
      context: { 'kms:ViaService': 'sqs.us-east-1.amazonaws.com', 'kms:CallerAccount': ACCOUNT },
    });
    expect(await needs('sqs', 'SendMessage', { QueueUrl })).toEqual({
      authorizations: [
        { action: 'sqs:SendMessage', resource: arn('sqs', 'sealed') },
        kms('kms:GenerateDataKey'),
        kms('kms:Decrypt'),
      ],
    });
    expect(await needs('sqs', 'ReceiveMessage', { QueueUrl })).toEqual({
      authorizations: [{ action: 'sqs:ReceiveMessage', resource: arn('sqs', 'sealed') }, kms('kms:Decrypt')],
    });
  });

  it('SNS Publish and PublishBatch are sns:Publish on the topic', async () => {
    const TopicArn = arn('sns', 'receipts');
    for (const operation of ['Publish', 'PublishBatch'])
      expect(await needs('sns', operation, { TopicArn })).toEqual({
        authorizations: [{ action: 'sns:Publish', resource: TopicArn }],
      });
  });

  it('GetSecretValue is on the secret’s ARN, however the call names it; with a customer key, kms:Decrypt too', async () => {
    expect(await needs('secretsmanager', 'GetSecretValue', { SecretId: 'webhook' })).toEqual({
      authorizations: [
        { action: 'secretsmanager:GetSecretValue', resource: arn('secretsmanager', 'secret:webhook-AbCdEf') },
      ],
    });
    const sealed = await needs('secretsmanager', 'GetSecretValue', { SecretId: 'sealed' });
    expect('authorizations' in sealed && sealed.authorizations.map((authorization) => authorization.action)).toEqual([
      'secretsmanager:GetSecretValue',
      'kms:Decrypt',
    ]);
  });

  it('PutMetricData is on any resource, with its namespace for policies that condition on it', async () => {
    expect(await needs('monitoring', 'PutMetricData', { Namespace: 'txonce' })).toEqual({
      authorizations: [
        { action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': 'txonce' } },
      ],
    });
  });

  it('PutEvents is on each entry’s bus, the default one when it names none', async () => {
    expect(
      await needs('events', 'PutEvents', { Entries: [{ EventBusName: 'orders' }, {}, { EventBusName: 'orders' }] }),
    ).toEqual({
      authorizations: [
        { action: 'events:PutEvents', resource: arn('events', 'event-bus/orders') },
        { action: 'events:PutEvents', resource: arn('events', 'event-bus/default') },
      ],
    });
  });

  it('an operation IAM has no action for is said to be unchecked, not guessed', async () => {
    expect(await needs('sqs', 'NoSuchOperation', {})).toEqual({
      unchecked: 'sqs:NoSuchOperation is not an IAM action iam-data knows',
    });
  });

  it('a call in a REST protocol txonce local does not read (Lambda…) is said to be unchecked', async () => {
    expect(await authorizationsFor({ ...call('lambda', '', {}), protocol: 'other' }, arns)).toEqual({
      unchecked: 'a lambda call in a REST protocol: its IAM action is not read from REST requests',
    });
  });
});

describe('S3 (REST, path style)', () => {
  const s3 = (method: string, url: string) =>
    readServiceCall(
      { authorization: 'AWS4-HMAC-SHA256 Credential=TXONCEIngest/20261206/us-east-1/s3/aws4_request, Sig=x' },
      Buffer.alloc(0),
      { method, url },
    ) as ServiceCall;

  it("authorizes an object's write and read on the object's ARN, with the key decoded", async () => {
    expect(await authorizationsFor(s3('PUT', '/archive-bucket/stripe/2026/12/06/05/evt%201.json'), arns)).toEqual({
      authorizations: [
        { action: 's3:PutObject', resource: 'arn:aws:s3:::archive-bucket/stripe/2026/12/06/05/evt 1.json' },
      ],
    });
    expect(await authorizationsFor(s3('HEAD', '/archive-bucket/a.json'), arns)).toEqual({
      authorizations: [{ action: 's3:GetObject', resource: 'arn:aws:s3:::archive-bucket/a.json' }],
    });
  });

  it('authorizes a listing as s3:ListBucket on the bucket', async () => {
    expect(await authorizationsFor(s3('GET', '/archive-bucket?list-type=2&prefix=stripe%2F'), arns)).toEqual({
      authorizations: [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::archive-bucket' }],
    });
  });

  it('says an S3 request it does not read is unchecked', async () => {
    expect(await authorizationsFor(s3('POST', '/archive-bucket?delete'), arns)).toEqual({
      unchecked: 'an S3 request txonce local does not read (unknown operation)',
    });
  });
});

describe('reading a signed request', () => {
  const authorization = `AWS4-HMAC-SHA256 Credential=TXONCEConsumer/20261206/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00`;
  it('takes the caller from the credential, the service from its scope, the operation from X-Amz-Target', () => {
    const body = Buffer.from(JSON.stringify({ TableName: 'dedup' }));
    expect(readServiceCall({ authorization, 'x-amz-target': 'DynamoDB_20120810.PutItem' }, body)).toEqual({
      accessKeyId: 'TXONCEConsumer',
      signingName: 'dynamodb',
      operation: 'PutItem',
      protocol: 'json',
      input: { TableName: 'dedup' },
    });
  });

  it('reads the query protocol’s Action and parameters from the form', () => {
    const body = Buffer.from(
      'Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Areceipts&Message=hi',
    );
    expect(
      readServiceCall(
        {
          authorization: authorization.replace('/dynamodb/', '/sns/'),
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        },
        body,
      ),
    ).toMatchObject({
      signingName: 'sns',
      operation: 'Publish',
      protocol: 'query',
      input: { TopicArn: arn('sns', 'receipts') },
    });
  });

  it('an unsigned request is no AWS call', () => {
    expect(readServiceCall({}, Buffer.from('{}'))).toBeUndefined();
  });
});
