import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { Idempotency, type IdempotentContext, idempotency } from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { createTable, localClient, scanAll } from '../../support/dynamo.js';

// With precheck or cache, the middleware knows a duplicate before the handler runs, and Middy runs
// the handler anyway: what it stages then is dropped, and an outbox message must be taken as the
// first delivery's was, not refused as if the store had no outbox table.

describe('the middleware on a duplicate known before the handler runs', () => {
  it.each([
    ['precheck: true', { precheck: true }],
    ['cache: true', { cache: true }],
  ] as const)(
    'with %s: a handler that emits gets the first answer, and nothing more is emitted',
    async (_, options) => {
      const client = localClient();
      const [dedup, outbox] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'outbox')]);
      const store = new Idempotency({ client, tableName: dedup, outboxTable: outbox, source: 'orders', ...options });
      let runs = 0;
      const handler = middy(async (event: { id: string }, context: IdempotentContext) => {
        runs++;
        context.tx.emit({ destination: { kind: 'webhook', url: 'https://partner.example/r' }, payload: event });
        return `run ${runs}`;
      }).use(idempotency({ store, key: (event: { id: string }) => event.id }));

      expect(await handler({ id: 'e1' }, lambdaContext() as IdempotentContext)).toBe('run 1');
      expect(await handler({ id: 'e1' }, lambdaContext() as IdempotentContext)).toBe('run 1');
      expect(runs).toBe(2);
      expect(await scanAll(client, outbox)).toHaveLength(1);
    },
  );
});
