import { describe, expect, it, vi } from 'vitest';
import { precheckRecords } from '../../../lib/batch/record-run.js';

// The batch precheck asks the store only when it prechecks now, and only with the keys that
// could be computed; a store from another copy of txonce (checked by shape) may have no precheckBatch.

const answer = new Map([['k', null]]);

function store(prechecking: boolean, withPrecheckBatch = true) {
  const precheckBatch = vi.fn(async () => answer);
  return { store: { prechecking, ...(withPrecheckBatch ? { precheckBatch } : {}) } as never, precheckBatch };
}

const key = (record: { id?: string }) => {
  if (record.id === undefined) throw new Error('no id');
  return record.id;
};

describe('the batch precheck', () => {
  it('reads the keys it can compute, leaving out a record whose key function throws', async () => {
    const { store: prechecking, precheckBatch } = store(true);
    expect(await precheckRecords({ store: prechecking, key }, [{ id: 'a' }, {}, { id: 'b' }])).toBe(answer);
    expect(precheckBatch).toHaveBeenCalledWith(['a', 'b']);
  });

  it('reads nothing when the store does not precheck now, or has no precheckBatch', async () => {
    const { store: idle, precheckBatch } = store(false);
    expect(await precheckRecords({ store: idle, key }, [{ id: 'a' }])).toBeUndefined();
    expect(precheckBatch).not.toHaveBeenCalled();
    expect(await precheckRecords({ store: store(true, false).store, key }, [{ id: 'a' }])).toBeUndefined();
  });
});
