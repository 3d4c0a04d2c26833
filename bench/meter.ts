import { type AttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { itemBytes, readUnits, writeUnits } from './item-size.js';

type Item = Record<string, AttributeValue>;

/** One request as DynamoDB would bill it, and what DynamoDB Local reported for it. */
export interface MeteredRequest {
  operation: string;
  /** write request units by the published rules, from the items' sizes before and after */
  writeUnits: number;
  /** read request units by the published rules */
  readUnits: number;
  /** ConsumedCapacity.CapacityUnits as DynamoDB Local answered; undefined when it reported none (errors) */
  reported?: number;
  failed: boolean;
}

export interface CapacityMeter {
  requests: MeteredRequest[];
  reset(): void;
  stop(): void;
}

const METERED = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'GetItem', 'BatchGetItem', 'TransactWriteItems']);

/**
 * Meters every request a client sends: below the SDK's retry middleware, so each attempt is
 * billed. It asks DynamoDB Local for ConsumedCapacity (ReturnConsumedCapacity TOTAL) and
 * computes the published units itself from the items' actual sizes, read consistently before
 * and after the request by a separate, unmetered client. Sequential use only (the before and
 * after images must belong to this request).
 */
export function meterCapacity(
  client: DynamoDBClient,
  endpoint: string,
  keyNames: Record<string, string>,
): CapacityMeter {
  const inspector = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const read = async (table: string, key: Item): Promise<Item | undefined> =>
    (await inspector.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
  const keyOf = (table: string, item: Item): Item => {
    const name = keyNames[table];
    if (!name) throw new Error(`meter: no key name for table ${table}`);
    return { [name]: item[name] };
  };
  const meter: CapacityMeter = {
    requests: [],
    reset: () => {
      meter.requests = [];
    },
    stop: () => inspector.destroy(),
  };

  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      if (!METERED.has(operation)) return next(args);
      const http = args.request as { body: string | Uint8Array; headers: Record<string, string> };
      const body = JSON.parse(typeof http.body === 'string' ? http.body : new TextDecoder().decode(http.body));
      body.ReturnConsumedCapacity = 'TOTAL';
      http.body = JSON.stringify(body);
      http.headers['content-length'] = String(Buffer.byteLength(http.body));

      const actions = writeActions(operation, body, keyOf);
      const before = await Promise.all(actions.map((action) => read(action.table, action.key)));
      let failed = false;
      let reported: number | undefined;
      let output: Awaited<ReturnType<typeof next>>;
      try {
        output = await next(args);
        reported = consumed((output.output as { ConsumedCapacity?: unknown }).ConsumedCapacity);
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        const after = await Promise.all(actions.map((action) => read(action.table, action.key)));
        let units = 0;
        actions.forEach((action, index) => {
          // A write is billed on the larger of the item before and after; a failed condition on
          // the larger of the existing item and the one it tried to write (at least 1 unit).
          const bytes = Math.max(itemBytes(before[index]), itemBytes(after[index]), itemBytes(action.attempted));
          units += (operation === 'TransactWriteItems' ? 2 : 1) * writeUnits(bytes);
        });
        const reads = await readUnitsOf(operation, body, read);
        meter.requests.push({ operation, writeUnits: units, readUnits: reads, reported, failed });
      }
      return output;
    },
    { step: 'finalizeRequest', priority: 'low', name: 'benchCapacityMeter' },
  );
  return meter;
}

interface WriteAction {
  table: string;
  key: Item;
  /** the item a Put tries to write (an Update's new image is read after the request) */
  attempted?: Item;
}

interface WriteRequest {
  TableName: string;
  Item?: Item;
  Key?: Item;
  TransactItems?: Record<string, WriteRequest>[];
}

function writeActions(operation: string, body: WriteRequest, keyOf: (table: string, item: Item) => Item) {
  const one = (kind: string, request: WriteRequest): WriteAction[] => {
    if (kind === 'Put' && request.Item)
      return [{ table: request.TableName, key: keyOf(request.TableName, request.Item), attempted: request.Item }];
    if (request.Key) return [{ table: request.TableName, key: request.Key }];
    return [];
  };
  switch (operation) {
    case 'PutItem':
      return one('Put', body);
    case 'UpdateItem':
    case 'DeleteItem':
      return one('Update', body);
    case 'TransactWriteItems':
      return (body.TransactItems ?? []).flatMap((entry) => {
        const [kind, request] = Object.entries(entry)[0];
        if (kind === 'ConditionCheck') throw new Error('meter: ConditionCheck is not metered (the bench stages none)');
        return one(kind, request);
      });
    default:
      return [];
  }
}

/** A GetItem's read units, or a BatchGetItem's: each key read is billed on its own, rounded up per item. */
async function readUnitsOf(
  operation: string,
  body: {
    TableName?: string;
    Key?: Item;
    ConsistentRead?: boolean;
    RequestItems?: Record<string, { Keys: Item[]; ConsistentRead?: boolean }>;
  },
  read: (table: string, key: Item) => Promise<Item | undefined>,
): Promise<number> {
  if (operation === 'GetItem' && body.TableName && body.Key) {
    return readUnits(itemBytes(await read(body.TableName, body.Key)), body.ConsistentRead === true);
  }
  if (operation !== 'BatchGetItem') return 0;
  let units = 0;
  for (const [table, request] of Object.entries(body.RequestItems ?? {})) {
    for (const key of request.Keys)
      units += readUnits(itemBytes(await read(table, key)), request.ConsistentRead === true);
  }
  return units;
}

function consumed(capacity: unknown): number | undefined {
  if (capacity === undefined) return undefined;
  const list = (Array.isArray(capacity) ? capacity : [capacity]) as { CapacityUnits?: number }[];
  return list.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
}
