import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { Idempotency } from '../../lib/index.js';

/** A document client against the DynamoDB Local that the global setup started. */
export function localClient(config: Partial<DynamoDBClientConfig> = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    endpoint: inject('dynamoEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...config,
  });
  return DynamoDBDocumentClient.from(client);
}

/** Creates a fresh table with a string partition key `pk` (and a NEW_IMAGE stream if asked) and returns its name. */
export async function createTable(
  client: DynamoDBDocumentClient,
  prefix: string,
  options: { stream?: boolean } = {},
): Promise<string> {
  const tableName = `${prefix}-${randomUUID().slice(0, 8)}`;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: options.stream ? { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } : undefined,
    }),
  );
  return tableName;
}

export async function getItem(
  client: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { pk }, ConsistentRead: true }));
  return Item;
}

export async function scanAll(client: DynamoDBDocumentClient, tableName: string): Promise<Record<string, unknown>[]> {
  const { Items } = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return Items ?? [];
}

/** A store on a fresh dedup table, and a fresh `counters` table for the business writes. */
export async function storeWithCounters(
  client: DynamoDBDocumentClient,
  source: string,
): Promise<{ store: Idempotency; counters: string }> {
  const [dedupTable, counters] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'counters')]);
  return { store: new Idempotency({ client, tableName: dedupTable, source }), counters };
}
