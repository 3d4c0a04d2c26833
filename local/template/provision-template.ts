import { randomInt } from 'node:crypto';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { StackTemplate } from './cloud-assembly.js';
import { IGNORED_TYPES, TemplateError, unsupportedValue } from './emulations.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, type ReferenceTable, resolveIntrinsics } from './intrinsics.js';

export interface LocalClients {
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  sns: SNSClient;
  secrets: SecretsManagerClient;
  /** moto's S3, path-style */
  s3: S3Client;
}

/** What each emulated resource is locally, by logical id. */
export interface ProvisionedResources {
  tables: Map<string, { name: string; arn: string; streamArn?: string }>;
  queues: Map<string, { name: string; url: string; arn: string }>;
  topics: Map<string, { name: string; arn: string }>;
  secrets: Map<string, { name: string; arn: string; value: string }>;
  buckets: Map<string, { name: string; arn: string }>;
  references: ReferenceTable;
}

/**
 * Creates the template's tables, queues, topics, subscriptions, secrets and buckets in the emulators,
 * with the template's settings, named `<stack>-<logical id>` so a restart finds the same ones
 * (existing tables, kept in TXONCE_DATA_DIR, are reused). Custom::AWS calls run last.
 */
export async function provisionTemplate(options: {
  stackName: string;
  template: StackTemplate;
  clients: LocalClients;
  /** values for secrets, by logical id (e.g. the webhook secret you sign with); others are generated */
  secretValues?: Record<string, string>;
  /** extra references for resources emulated elsewhere (functions, the API) */
  moreReferences?: Partial<ReferenceTable>;
}): Promise<ProvisionedResources> {
  const { template, clients, stackName } = options;
  const resources: ProvisionedResources = {
    tables: new Map(),
    queues: new Map(),
    topics: new Map(),
    secrets: new Map(),
    buckets: new Map(),
    references: {
      ref: (id) => {
        const type = template.Resources[id]?.Type;
        return (
          resources.tables.get(id)?.name ??
          resources.queues.get(id)?.url ??
          resources.topics.get(id)?.arn ??
          resources.secrets.get(id)?.arn ??
          resources.buckets.get(id)?.name ??
          options.moreReferences?.ref?.(id) ??
          (type && type in IGNORED_TYPES ? `local-${id}` : undefined)
        );
      },
      getAtt: (id, attribute) => {
        const table = resources.tables.get(id);
        if (table) return { Arn: table.arn, StreamArn: table.streamArn }[attribute];
        const queue = resources.queues.get(id);
        if (queue) return { Arn: queue.arn, QueueName: queue.name, QueueUrl: queue.url }[attribute];
        const topic = resources.topics.get(id);
        if (topic) return { TopicArn: topic.arn, TopicName: topic.name }[attribute];
        const secret = resources.secrets.get(id);
        if (secret) return { Id: secret.arn }[attribute];
        const bucket = resources.buckets.get(id);
        if (bucket) return { Arn: bucket.arn }[attribute];
        const more = options.moreReferences?.getAtt?.(id, attribute);
        if (more) return more;
        const type = template.Resources[id]?.Type;
        if (type && type in IGNORED_TYPES && attribute === 'Arn')
          return `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${id}`;
        return undefined;
      },
    },
  };
  const physicalName = (id: string, max: number) => `${stackName}-${id}`.slice(0, max);
  const of = (type: string) =>
    Object.entries(template.Resources).filter(
      ([, resource]) =>
        resource.Type === type || (type === 'table' && /^AWS::DynamoDB::(Global)?Table$/.test(resource.Type)),
    );
  const props = (id: string) =>
    resolveIntrinsics(template.Resources[id].Properties ?? {}, resources.references, id) as Record<string, any>;

  for (const [id] of of('table')) {
    const p = props(id);
    const name = p.TableName ?? physicalName(id, 255);
    resources.tables.set(id, await ensureTable(clients.dynamo, name, p));
  }

  // a queue names its DLQ's ARN: create DLQs first, whatever the template's order
  let pending = of('AWS::SQS::Queue').map(([id]) => id);
  while (pending.length > 0) {
    const ready = pending.filter((id) => {
      try {
        props(id);
        return true;
      } catch {
        return false;
      }
    });
    if (ready.length === 0) props(pending[0]); // throws the reason
    for (const id of ready)
      resources.queues.set(id, await createQueue(clients.sqs, id, props(id), physicalName(id, 75)));
    pending = pending.filter((id) => !ready.includes(id));
  }

  for (const [id] of of('AWS::SNS::Topic')) {
    const p = props(id);
    const name = p.TopicName ?? (p.FifoTopic ? `${physicalName(id, 250)}.fifo` : physicalName(id, 256));
    const { TopicArn } = await clients.sns.send(
      new CreateTopicCommand({
        Name: name,
        Attributes: {
          ...(p.FifoTopic ? { FifoTopic: 'true' } : {}),
          ...(p.ContentBasedDeduplication ? { ContentBasedDeduplication: 'true' } : {}),
        },
      }),
    );
    resources.topics.set(id, { name, arn: TopicArn as string });
  }
  for (const [id] of of('AWS::SNS::Subscription')) {
    const p = props(id);
    await clients.sns.send(
      new SubscribeCommand({
        TopicArn: p.TopicArn,
        Protocol: p.Protocol,
        Endpoint: p.Endpoint,
        Attributes: {
          ...(p.RawMessageDelivery ? { RawMessageDelivery: String(p.RawMessageDelivery) } : {}),
          ...(p.FilterPolicy ? { FilterPolicy: JSON.stringify(p.FilterPolicy) } : {}),
          ...(p.FilterPolicyScope ? { FilterPolicyScope: p.FilterPolicyScope } : {}),
        },
      }),
    );
  }
  for (const [id] of of('AWS::SecretsManager::Secret')) {
    const p = props(id);
    const name = p.Name ?? physicalName(id, 200);
    const value = options.secretValues?.[id] ?? p.SecretString ?? generateSecret(p.GenerateSecretString ?? {});
    resources.secrets.set(id, { name, arn: await ensureSecret(clients.secrets, name, value), value });
  }
  for (const [id] of of('AWS::S3::Bucket')) {
    // S3 names are lower case, 3 to 63 characters
    const name = props(id).BucketName ?? physicalName(id, 63).toLowerCase();
    await clients.s3.send(new CreateBucketCommand({ Bucket: name })).catch((error) => {
      // moto still holds it after DynamoDB Local alone was restarted
      if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
    });
    resources.buckets.set(id, { name, arn: `arn:aws:s3:::${name}` });
  }
  for (const [id] of of('Custom::AWS')) await runCustomAws(id, props(id).Create, clients);
  return resources;
}

async function ensureTable(
  dynamo: DynamoDBClient,
  name: string,
  p: Record<string, any>,
): Promise<{ name: string; arn: string; streamArn?: string }> {
  const describe = async () => (await dynamo.send(new DescribeTableCommand({ TableName: name }))).Table;
  let table = await describe().catch((error) => {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  });
  if (!table) {
    const stream = p.StreamSpecification?.StreamViewType;
    const input: CreateTableCommandInput = {
      TableName: name,
      KeySchema: p.KeySchema,
      AttributeDefinitions: p.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: p.GlobalSecondaryIndexes?.map((index: Record<string, unknown>) => ({
        IndexName: index.IndexName,
        KeySchema: index.KeySchema,
        Projection: index.Projection,
      })),
      LocalSecondaryIndexes: p.LocalSecondaryIndexes,
      StreamSpecification: stream ? { StreamEnabled: true, StreamViewType: stream } : undefined,
    };
    await dynamo.send(new CreateTableCommand(input));
    table = await describe();
  }
  const ttl = p.TimeToLiveSpecification;
  if (ttl?.Enabled) {
    await dynamo
      .send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
        }),
      )
      .catch((error) => {
        // enabling TTL twice is refused; that it is on is all we need
        if (!/already enabled/i.test((error as Error).message)) throw error;
      });
  }
  return {
    name,
    arn: table?.TableArn ?? `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`,
    streamArn: table?.LatestStreamArn,
  };
}

/**
 * Creates the secret, or gives the existing one this value: after DynamoDB Local alone was
 * restarted, moto still holds the secrets of the first provisioning. Resolves to its ARN.
 */
async function ensureSecret(secrets: SecretsManagerClient, name: string, value: string): Promise<string> {
  try {
    const { ARN } = await secrets.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    return ARN as string;
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    const { ARN } = await secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    return ARN as string;
  }
}

const QUEUE_ATTRIBUTES = [
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'MaximumMessageSize',
  'ReceiveMessageWaitTimeSeconds',
] as const;

async function createQueue(
  sqs: SQSClient,
  id: string,
  p: Record<string, any>,
  fallbackName: string,
): Promise<{ name: string; url: string; arn: string }> {
  const fifo = p.FifoQueue === true || p.FifoQueue === 'true';
  const name = p.QueueName ?? (fifo ? `${fallbackName}.fifo` : fallbackName);
  const attributes: Record<string, string> = {};
  if (fifo) attributes.FifoQueue = 'true';
  for (const attribute of QUEUE_ATTRIBUTES)
    if (p[attribute] !== undefined) attributes[attribute] = String(p[attribute]);
  if (p.RedrivePolicy) attributes.RedrivePolicy = JSON.stringify(p.RedrivePolicy);
  if (p.RedriveAllowPolicy) attributes.RedriveAllowPolicy = JSON.stringify(p.RedriveAllowPolicy);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: QueueUrl as string, AttributeNames: ['QueueArn'] }),
  );
  if (!Attributes?.QueueArn) throw new TemplateError(`${id}: the local queue ${name} has no ARN`);
  return { name, url: QueueUrl as string, arn: Attributes.QueueArn };
}

/** A value for GenerateSecretString, from the same characters AWS would use. */
function generateSecret(spec: Record<string, any>): string {
  let characters = '';
  if (!spec.ExcludeUppercase) characters += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  if (!spec.ExcludeLowercase) characters += 'abcdefghijklmnopqrstuvwxyz';
  if (!spec.ExcludeNumbers) characters += '0123456789';
  if (!spec.ExcludePunctuation) characters += '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
  if (spec.IncludeSpace) characters += ' ';
  const excluded = new Set(String(spec.ExcludeCharacters ?? ''));
  const pool = [...characters].filter((character) => !excluded.has(character));
  const value = Array.from({ length: Number(spec.PasswordLength ?? 32) }, () => pool[randomInt(pool.length)]).join('');
  if (spec.SecretStringTemplate && spec.GenerateStringKey)
    return JSON.stringify({ ...JSON.parse(spec.SecretStringTemplate), [spec.GenerateStringKey]: value });
  return value;
}

/** Custom::AWS (AwsCustomResource): its Create call, made with the local clients. */
async function runCustomAws(id: string, create: unknown, clients: LocalClients): Promise<void> {
  const call = (typeof create === 'string' ? JSON.parse(create) : create) as
    | { service: string; action: string; parameters?: Record<string, unknown> }
    | undefined;
  if (!call) return;
  const client = { SQS: clients.sqs, DynamoDB: clients.dynamo, SNS: clients.sns, SecretsManager: clients.secrets }[
    call.service
  ];
  if (!client)
    unsupportedValue(
      id,
      'Custom::AWS',
      'Create',
      `calls to ${call.service} are not emulated (SQS, DynamoDB, SNS, SecretsManager are)`,
    );
  const module = {
    SQS: '@aws-sdk/client-sqs',
    DynamoDB: '@aws-sdk/client-dynamodb',
    SNS: '@aws-sdk/client-sns',
    SecretsManager: '@aws-sdk/client-secrets-manager',
  }[call.service as 'SQS'];
  const commands = (await import(module)) as Record<string, new (input: unknown) => never>;
  const action = call.action.charAt(0).toUpperCase() + call.action.slice(1);
  const Command = commands[`${action}Command`];
  if (!Command) unsupportedValue(id, 'Custom::AWS', 'Create', `${call.service}.${call.action} is not an SDK call`);
  try {
    await (client as { send(command: unknown): Promise<unknown> }).send(new Command(call.parameters ?? {}));
  } catch (error) {
    throw new TemplateError(
      `${id} (Custom::AWS): ${call.service}.${call.action} failed locally: ${(error as Error).message}`,
    );
  }
}
