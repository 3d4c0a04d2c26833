import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { inject } from 'vitest';
import { Idempotency, jsonBody, PermanentError, type Tx } from '../../lib/index.js';

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

/** What the batch-handler suites share: a store, a `counters` table, the handler that counts, and the count read back. */
export interface CounterFixture {
  store: Idempotency;
  counters: string;
  /**
   * Adds 1 to the counter the record's body names and returns its name; a body with
   * `"poison": true` throws a PermanentError, one with `"transient": true` a transient error.
   */
  count(record: SQSRecord, tx: Tx): string;
  /** The counter's applied total (a consistent read), or undefined if nothing applied. */
  applied(counter: string): Promise<unknown>;
}

/** A store on a fresh dedup table, and a fresh `counters` table for the business writes. */
export async function storeWithCounters(client: DynamoDBDocumentClient, source: string): Promise<CounterFixture> {
  const [dedupTable, counters] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'counters')]);
  return {
    store: new Idempotency({ client, tableName: dedupTable, source }),
    counters,
    count(record, tx) {
      const body = jsonBody<{ counter: string; poison?: boolean; transient?: boolean }>(record);
      if (body.poison) throw new PermanentError('this event can never apply');
      if (body.transient) throw new Error('dependency unavailable');
      tx.update({
        TableName: counters,
        Key: { pk: body.counter },
        UpdateExpression: 'ADD applied :one',
        ExpressionAttributeValues: { ':one': 1 },
      });
      return body.counter;
    },
    applied: async (counter) => (await getItem(client, counters, counter))?.applied,
  };
}
