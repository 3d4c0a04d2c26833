/**
 * What JSON.stringify would lose or refuse in `value`, as words for an error message ("it holds
 * a Map, whose entries JSON does not see"), or undefined when its JSON form gives the same data
 * back. toJSON is followed (a Date's JSON form is its string, as `Jsonified` types it) and
 * undefined members are absent either way; a BigInt, a Map or Set, a function, a symbol, an
 * undefined in an array (it comes back null) and a cycle are reported.
 */
export function jsonLoss(value: unknown, parents: object[] = [], inArray = false): string | undefined {
  if (typeof value === 'bigint') return 'it holds a BigInt, which JSON cannot encode';
  if (typeof value === 'function' || typeof value === 'symbol') return `it holds a ${typeof value}`;
  if (value === undefined) return inArray ? 'it holds undefined in an array, which JSON turns into null' : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (parents.includes(value)) return 'it holds a cycle';
  const inside = [...parents, value];
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return jsonLoss((value as { toJSON(): unknown }).toJSON(), inside);
  }
  if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof WeakSet) {
    return `it holds a ${value.constructor.name}, whose entries JSON does not see`;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      const loss = jsonLoss(item, inside, true);
      if (loss) return loss;
    }
    return undefined;
  }
  for (const member of Object.values(value)) {
    const loss = jsonLoss(member, inside);
    if (loss) return loss;
  }
  return undefined;
}
