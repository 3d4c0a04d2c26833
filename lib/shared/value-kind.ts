/** What a value is, in words for an error message: "null", "undefined", "an array", "an object", "a boolean"... */
export function valueKind(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return `${type === 'object' ? 'an' : 'a'} ${type}`;
}
