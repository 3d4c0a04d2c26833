/** What a Put names of itself: its item and condition, not which attributes are the table's key. */
interface PutLike {
  TableName?: string;
  Item?: Record<string, unknown>;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
}

const EXISTENCE_TEST = /attribute_(?:not_)?exists\s*\(\s*([#\w]+)\s*\)/g;

/**
 * The key of a Put's item, for error messages: the attributes another staged action on the same
 * table names as its Key, else those the Put's own condition tests for existence (the usual
 * `attribute_not_exists(pk)`); undefined when neither tells. Never guessed from the item alone.
 */
export function putKey(put: PutLike, keyedActions: { TableName?: string; Key?: Record<string, unknown> }[]) {
  const item = put.Item;
  if (!item) return undefined;
  const sameTable = keyedActions.find((action) => action.TableName === put.TableName && action.Key);
  const names = sameTable?.Key
    ? Object.keys(sameTable.Key)
    : [...(put.ConditionExpression ?? '').matchAll(EXISTENCE_TEST)].map(
        ([, name]) => put.ExpressionAttributeNames?.[name] ?? name,
      );
  const present = [...new Set(names)].filter((name) => Object.hasOwn(item, name));
  return present.length ? Object.fromEntries(present.map((name) => [name, item[name]])) : undefined;
}
