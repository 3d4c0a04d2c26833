import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { Idempotency, sqsBatchHandler, type Tx } from '../lib/index.js';

/** One "invoice paid" event: the same business write for every contender. */
export interface BenchEvent {
  id: string;
  invoiceId: string;
  customerId: string;
  amount: number;
}

export interface Tables {
  txonceDedup: string;
  peerIdempotency: string;
  invoices: string;
  customers: string;
}

export type ContenderName = 'txonce' | 'peer' | 'plain';

export interface Contender {
  name: ContenderName;
  /** Handle one event (a first delivery or a repeat). */
  handle(event: BenchEvent, context: Context): Promise<unknown>;
  /** Handle an SQS batch, where the contender has a batch processor. */
  handleBatch?(event: SQSEvent, context: Context): Promise<SQSBatchResponse>;
}

/** The business write: upsert the invoice, ADD the amount to the customer's total (`items` 1: the invoice only). */
export function businessItems(tables: Tables, event: BenchEvent, items: 1 | 2 = 2) {
  const all = [
    {
      Put: {
        TableName: tables.invoices,
        Item: { pk: event.invoiceId, customerId: event.customerId, amount: event.amount },
      },
    },
    {
      Update: {
        TableName: tables.customers,
        Key: { pk: event.customerId },
        UpdateExpression: 'ADD #total :amount',
        ExpressionAttributeNames: { '#total': 'paidTotal' },
        ExpressionAttributeValues: { ':amount': event.amount },
      },
    },
  ];
  return all.slice(0, items);
}

export function stage(tx: Tx, tables: Tables, event: BenchEvent, items: 1 | 2 = 2): void {
  for (const item of businessItems(tables, event, items)) {
    if ('Put' in item) tx.put(item.Put as never);
    else tx.update(item.Update as never);
  }
}

export function eventFromRecord(record: SQSRecord): BenchEvent {
  return JSON.parse(record.body) as BenchEvent;
}

/**
 * txonce: the dedup record and the business write in one TransactWriteItems. The precheck is
 * off, so latency and throughput measure the transaction path alone (with the default 'auto',
 * the duplicate rounds would switch the read on); the precheck's cost is in the cost tables.
 */
export function txonce(client: DynamoDBClient, tables: Tables): Contender {
  const store = new Idempotency({
    client: DynamoDBDocumentClient.from(client),
    tableName: tables.txonceDedup,
    source: 'bench',
    precheck: false,
  });
  const batch = sqsBatchHandler({ store, handler: (record, tx) => stage(tx, tables, eventFromRecord(record)) });
  return {
    name: 'txonce',
    handle: (event) => store.run({ key: event.id }, (tx) => stage(tx, tables, event)),
    handleBatch: batch,
  };
}

/**
 * The peer, configured as its documentation shows: makeIdempotent around a handler that does
 * its own business write (here the same single TransactWriteItems), a DynamoDB persistence
 * layer, the event id as the key, and the Lambda context registered (in-progress expiry).
 */
export function peer(client: DynamoDBClient, tables: Tables): Contender {
  const documents = DynamoDBDocumentClient.from(client);
  // one persistence layer per configuration, as the peer requires
  const layer = () => new DynamoDBPersistenceLayer({ tableName: tables.peerIdempotency, awsSdkV3Client: client });
  const write = async (event: BenchEvent) => {
    await documents.send(new TransactWriteCommand({ TransactItems: businessItems(tables, event) as never }));
    return { invoiceId: event.invoiceId };
  };
  const single = makeIdempotent(async (event: BenchEvent, _context: Context) => write(event), {
    persistenceStore: layer(),
    config: new IdempotencyConfig({ eventKeyJmesPath: 'id' }),
  });
  const recordConfig = new IdempotencyConfig({ eventKeyJmesPath: 'messageAttributes.idempotencyKey.stringValue' });
  const perRecord = makeIdempotent(async (record: SQSRecord) => write(eventFromRecord(record)), {
    persistenceStore: layer(),
    config: recordConfig,
  });
  return {
    name: 'peer',
    handle: (event, context) => single(event, context),
    handleBatch: async (event, context) => {
      recordConfig.registerLambdaContext(context);
      return processPartialResponse(event, perRecord, new BatchProcessor(EventType.SQS), { context });
    },
  };
}

/** The floor: the business write alone, no idempotency. */
export function plain(client: DynamoDBClient, tables: Tables): Contender {
  const documents = DynamoDBDocumentClient.from(client);
  return {
    name: 'plain',
    handle: (event) =>
      documents.send(new TransactWriteCommand({ TransactItems: businessItems(tables, event) as never })),
  };
}
