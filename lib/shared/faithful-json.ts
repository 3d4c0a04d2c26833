/**
 * `value` as JSON text, in one pass, or what JSON.stringify would lose or refuse in it, as words
 * for an error message ("it holds a Map, whose entries JSON does not see"). toJSON is followed (a
 * Date's JSON form is its string, as `Jsonified` types it) and undefined members are absent
 * either way; a BigInt, a Map or Set, a function, a symbol, an undefined in an array (it comes
 * back null), a cycle and a toJSON that throws are reported. `json` is undefined when the value's
 * JSON form is nothing at all (a toJSON that returned undefined).
 */
export function faithfulJson(value: unknown): { json: string | undefined } | { loss: string; cause?: unknown } {
  let loss: string | undefined;
  try {
    // The replacer sees every value as JSON will write it (after toJSON), before it is written.
    const json = JSON.stringify(value, function (this: unknown, _key: string, member: unknown) {
      loss = lossOf(member, Array.isArray(this));
      if (loss) throw new Error(loss);
      return member;
    });
    return { json };
  } catch (error) {
    if (loss) return { loss };
    if (error instanceof TypeError && /circular/i.test(error.message)) return { loss: 'it holds a cycle' };
    return { loss: `its toJSON threw (${(error as Error)?.message ?? String(error)})`, cause: error };
  }
}

function lossOf(member: unknown, inArray: boolean): string | undefined {
  if (typeof member === 'bigint') return 'it holds a BigInt, which JSON cannot encode';
  if (typeof member === 'function' || typeof member === 'symbol') return `it holds a ${typeof member}`;
  if (member === undefined) return inArray ? 'it holds undefined in an array, which JSON turns into null' : undefined;
  if (member instanceof Map || member instanceof Set || member instanceof WeakMap || member instanceof WeakSet) {
    return `it holds a ${member.constructor.name}, whose entries JSON does not see`;
  }
  return undefined;
}
