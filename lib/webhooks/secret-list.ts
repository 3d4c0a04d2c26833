/**
 * A secret's text as a list: a JSON array of strings (during a rotation: new first, then old)
 * or one secret on its own.
 */
export function parseSecretList(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const list = JSON.parse(trimmed);
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string' && item.length > 0)) {
      throw new TypeError('The webhook secret is a JSON array, but not of non-empty strings.');
    }
    return list;
  }
  return [trimmed];
}
