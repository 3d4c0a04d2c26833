/** DynamoDB TransactWriteItems limits, checked before the network. */
export const MAX_TRANSACTION_ACTIONS = 100;
export const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;
export const MAX_ITEM_BYTES = 400 * 1024;

const encoder = new TextEncoder();

function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/**
 * The size DynamoDB counts for a native value (the document client's types), following the
 * published sizing rules: strings and binaries by bytes, numbers by significant digits,
 * 3 bytes for a list or map plus 1 per element.
 */
export function valueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8Bytes(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberBytes(String(value));
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (value instanceof Set) {
    let total = 0;
    for (const member of value) total += valueBytes(member);
    return total;
  }
  if (Array.isArray(value)) {
    return value.reduce<number>((total, item) => total + 1 + valueBytes(item), 3);
  }
  if (typeof value === 'object') {
    // NumberValue from lib-dynamodb carries the number as a string
    if ('value' in value && value.constructor?.name === 'NumberValue') {
      return numberBytes(String((value as { value: unknown }).value));
    }
    return 3 + itemBytes(value as Record<string, unknown>) + Object.keys(value).length;
  }
  return utf8Bytes(String(value));
}

/** The size of an item (or key, or value map): attribute names plus values. */
export function itemBytes(item: Record<string, unknown> | undefined): number {
  if (!item) return 0;
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    total += utf8Bytes(name) + valueBytes(value);
  }
  return total;
}

function numberBytes(text: string): number {
  const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

interface SizedAction {
  TableName?: string;
  Key?: Record<string, unknown>;
  Item?: Record<string, unknown>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/**
 * Checks the whole transaction before it is sent: aggregate size and one action per item.
 * `actions[0]` is the dedup record. A Put names its item only through the Item, so its key
 * attributes are taken from other actions on the same table (or `knownKeys`); where none
 * names them, DynamoDB's own check still rejects the request and nothing is written.
 */
export function checkTransaction(
  actions: SizedAction[],
  knownKeys: Record<string, string[]>,
): { ok: true; writeUnits: number } | { ok: false; problem: string; indexes: number[] } {
  let total = 0;
  // What the transaction bills, from the same sizes: 2 write units per item and KB (one to
  // prepare, one to commit), committed or cancelled. An update's item is sized by what the
  // request carries (its key and values), so this may count low for it.
  let writeUnits = 0;
  for (const action of actions) {
    const item = itemBytes(action.Item);
    const keyAndValues = itemBytes(action.Key) + itemBytes(action.ExpressionAttributeValues);
    total += item + keyAndValues;
    writeUnits += 2 * Math.max(1, Math.ceil((action.Item ? item : keyAndValues) / 1024));
  }
  if (total > MAX_TRANSACTION_BYTES) {
    return {
      ok: false,
      problem: `the transaction carries about ${total} bytes; DynamoDB accepts at most ${MAX_TRANSACTION_BYTES}`,
      indexes: [],
    };
  }

  const keyNames: Record<string, string[]> = { ...knownKeys };
  for (const action of actions) {
    if (action.TableName && action.Key && !keyNames[action.TableName]) {
      keyNames[action.TableName] = Object.keys(action.Key).sort();
    }
  }
  const seen = new Map<string, number>();
  for (const [index, action] of actions.entries()) {
    const names = action.TableName ? keyNames[action.TableName] : undefined;
    const source = action.Key ?? action.Item;
    if (!names || !source) continue;
    const identity = JSON.stringify([action.TableName, names.map((name) => source[name])]);
    const first = seen.get(identity);
    if (first !== undefined) {
      return { ok: false, problem: 'two actions target the same item', indexes: [first, index] };
    }
    seen.set(identity, index);
  }
  return { ok: true, writeUnits };
}
