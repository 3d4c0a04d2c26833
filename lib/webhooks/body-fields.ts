/** A webhook body read for the fields a scheme names (an id, a timestamp, a challenge): JSON or form parameters. */
export type ParsedBody =
  | { kind: 'json'; value: unknown }
  | { kind: 'form'; params: URLSearchParams }
  | { kind: 'unreadable' };

/**
 * Reads the body as the provider sends it. `json-or-form` decides by the first character: a
 * JSON body is an object or an array, a form body never starts with `{` or `[`.
 */
export function parseBody(rawBody: Buffer, kind: 'json' | 'form' | 'json-or-form'): ParsedBody {
  const text = rawBody.toString('utf8');
  const form = kind === 'form' || (kind === 'json-or-form' && !/^\s*[[{]/.test(text));
  if (form) return { kind: 'form', params: new URLSearchParams(text) };
  try {
    return { kind: 'json', value: JSON.parse(text) };
  } catch {
    return { kind: 'unreadable' };
  }
}

/**
 * A non-empty string at a dotted path of a JSON body, or a form parameter; anything else
 * (missing, an object, an array) is undefined. With `numbers`, a whole number counts too, as its digits.
 */
export function bodyField(body: ParsedBody, path: string, options: { numbers?: boolean } = {}): string | undefined {
  if (body.kind === 'form') return body.params.get(path) || undefined;
  if (body.kind !== 'json') return undefined;
  let value: unknown = body.value;
  for (const step of path.split('.')) {
    value =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)[step]
        : undefined;
  }
  if (options.numbers && typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
