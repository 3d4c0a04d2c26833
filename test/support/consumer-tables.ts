import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTable } from './dynamo.js';

/** The example consumer's tables, fresh: the dedup table and its business tables. */
export interface ConsumerTables {
  dedup: string;
  invoicesTable: string;
  customersTable: string;
}

export async function createConsumerTables(dynamo: DynamoDBDocumentClient): Promise<ConsumerTables> {
  const [dedup, invoicesTable, customersTable] = await Promise.all([
    createTable(dynamo, 'dedup'),
    createTable(dynamo, 'invoices'),
    createTable(dynamo, 'customers'),
  ]);
  return { dedup, invoicesTable, customersTable };
}
