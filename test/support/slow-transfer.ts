import type { IdempotentContext } from '../../lib/index.js';
import { latch } from './latch.js';

/**
 * A handler that stages a debit, waits on a slow downstream call (`downstream`, which the test
 * opens), then stages the credit: Middy's early timeout answers in between. `settled` opens
 * when the handler has settled; `lateError` is what it threw, if anything.
 */
export function slowTransfer(table: string) {
  const downstream = latch();
  const settled = latch();
  const state = { runs: 0, lateError: undefined as unknown };
  const handler = async (event: { id: string }, context: IdempotentContext) => {
    state.runs++;
    try {
      context.tx.put({ TableName: table, Item: { pk: `debit-${event.id}` } });
      await downstream.done;
      context.tx.put({ TableName: table, Item: { pk: `credit-${event.id}` } });
      return { statusCode: 201 };
    } catch (error) {
      state.lateError = error;
      throw error;
    } finally {
      settled.open();
    }
  };
  return { handler, downstream, settled, state };
}
