import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { Idempotency } from '../lib/index.js';
import { type BenchEvent, businessItems, stage, type Tables } from './contenders.js';

export type VariantName =
  | 'txonce'
  | 'txonce + precheck'
  | 'txonce (default)'
  | 'peer, plain write'
  | 'peer, transactional write';
/** Contenders whose cost per delivery does not depend on what came before (the default's does). */
export const VARIANTS: VariantName[] = [
  'txonce',
  'txonce + precheck',
  'peer, plain write',
  'peer, transactional write',
];
/** The default options: `precheck: 'auto'`, eventually consistent reads. */
export const DEFAULT_VARIANT: VariantName = 'txonce (default)';

/** What each txonce contender sets: none (the transaction alone), an always-on precheck, or the defaults. */
const TXONCE_PRECHECK: Partial<Record<VariantName, { precheck?: boolean }>> = {
  txonce: { precheck: false },
  'txonce + precheck': { precheck: true },
  'txonce (default)': {},
};

export interface Variant {
  name: VariantName;
  items: 1 | 2;
  handle(event: BenchEvent, context: Context): Promise<unknown>;
}

/**
 * The contenders of the cost tables, each with a one-item (the invoice) or two-item (the
 * invoice and the customer total) business write. The peer as its documentation shows it does
 * the business write itself, without a transaction (one PutItem, then one UpdateItem); its
 * transactional variant puts the same items in one TransactWriteItems, as txonce does.
 */
export function costVariant(name: VariantName, items: 1 | 2, client: DynamoDBClient, tables: Tables): Variant {
  const documents = DynamoDBDocumentClient.from(client);
  const txonceOptions = TXONCE_PRECHECK[name];
  if (txonceOptions) {
    const store = new Idempotency({
      client: documents,
      tableName: tables.txonceDedup,
      source: 'bench',
      ...txonceOptions,
    });
    return { name, items, handle: (event) => store.run({ key: event.id }, (tx) => stage(tx, tables, event, items)) };
  }
  const write = async (event: BenchEvent) => {
    const actions = businessItems(tables, event, items);
    if (name === 'peer, transactional write') {
      await documents.send(new TransactWriteCommand({ TransactItems: actions as never }));
    } else {
      for (const action of actions) {
        if ('Put' in action) await documents.send(new PutCommand(action.Put as never));
        else await documents.send(new UpdateCommand(action.Update as never));
      }
    }
    return { invoiceId: event.invoiceId };
  };
  const handler = makeIdempotent(async (event: BenchEvent, _context: Context) => write(event), {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: tables.peerIdempotency, awsSdkV3Client: client }),
    config: new IdempotencyConfig({ eventKeyJmesPath: 'id' }),
  });
  return { name, items, handle: (event, context) => handler(event, context) };
}
