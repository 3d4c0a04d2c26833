import { createHash } from 'node:crypto';

/** SQS: a message group id is 1 to 128 characters of letters, digits and punctuation. */
const GROUP_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The FIFO message group of a verified event: the first of `paths` (dot paths into the body)
 * that names a string or a number, as "<source>:<value>", so one entity's events are ordered and
 * unrelated entities run in parallel. An event with none of them gets a group of its own (its
 * idempotency key): never ordered behind, or blocked by, another entity's poison message.
 */
export function messageGroupId(body: object, paths: readonly string[], source: string, key: string): string {
  for (const path of paths) {
    const value = valueAt(body, path);
    if ((typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isFinite(value)))
      return groupId(`${source}:${value}`);
  }
  return groupId(`${source}:event:${key}`);
}

function valueAt(body: object, path: string): unknown {
  let current: unknown = body;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Long or non-ASCII values are hashed: still one group per value, within SQS's limits. */
function groupId(text: string): string {
  return GROUP_ID.test(text) ? text : createHash('sha256').update(text).digest('hex');
}
