import { beforeAll, describe, expect, it } from 'vitest';
import { Idempotency } from '../lib/index.js';
import { createTable, localClient } from './support/dynamo.js';

const client = localClient();
let store: Idempotency;

beforeAll(async () => {
  store = new Idempotency({ client, tableName: await createTable(client, 'dedup'), source: 'api-shape' });
});

describe('the public API', () => {
  it("types a duplicate's result as the JSON it really is: a Date comes back as a string", async () => {
    const work = () => ({ at: new Date('2026-01-02T03:04:05.000Z'), count: 1 });
    const first = await store.run({ key: 'typed-1' }, work);
    const repeat = await store.run({ key: 'typed-1' }, work);
    if (first.status !== 'committed' || repeat.status !== 'duplicate' || repeat.resultOmitted) {
      throw new Error('expected a commit, then a duplicate with its result');
    }
    expect(first.result.at.getTime()).toBe(Date.parse('2026-01-02T03:04:05.000Z'));
    // @ts-expect-error the stored result is JSON: `at` is a string, so this does not compile
    expect(() => repeat.result.at.getTime()).toThrow(TypeError);
    const at: string = repeat.result.at;
    expect(new Date(at).getTime()).toBe(first.result.at.getTime());
  });

  it('keeps the middleware plumbing off the store: run, recordKey and the precheck are all it offers', () => {
    expect(Object.getOwnPropertyNames(Idempotency.prototype).sort()).toEqual([
      'constructor',
      'precheckBatch',
      'prechecking',
      'recordKey',
      'run',
    ]);
  });
});
