import { describe, expect, it } from 'vitest';
import { PrecheckPolicy } from '../../../lib/store/precheck-policy.js';

// When 'auto' reads first: from the share of duplicates among the last 100 deliveries, once it has
// seen 20, against the break-even of a read and a cancelled transaction of the commits' size.
// Before any commit the break-even is 2.5% (a 200-byte record read eventually, 4 write units):
// on at 1.5x (3.75%), off below 0.75x (1.875%).

function observed(policy: PrecheckPolicy, deliveries: boolean[]): PrecheckPolicy {
  for (const duplicate of deliveries) policy.observe(duplicate);
  return policy;
}

const repeat = (duplicate: boolean, count: number) => Array.from({ length: count }, () => duplicate);

describe("precheck 'auto'", () => {
  it('decides nothing before 20 deliveries, and turns on at the 20th when they are duplicates', () => {
    const policy = observed(new PrecheckPolicy('auto', 'eventual'), repeat(true, 19));
    expect(policy.active).toBe(false);
    expect(policy.duplicateShare).toBe(1);
    policy.observe(true);
    expect(policy.active).toBe(true);
  });

  it('remembers the last 100 deliveries: two early duplicates keep it on for 100, then the first leaves and it turns off', () => {
    const policy = observed(new PrecheckPolicy('auto', 'eventual'), [true, true, ...repeat(false, 98)]);
    expect(policy.duplicateShare).toBe(0.02);
    expect(policy.active).toBe(true);
    policy.observe(false);
    expect(policy.duplicateShare).toBe(0.01);
    expect(policy.active).toBe(false);
  });

  it('forgets duplicates that left the window: 20 duplicates then 100 fresh deliveries, off', () => {
    const policy = observed(new PrecheckPolicy('auto', 'eventual'), repeat(true, 20));
    expect(policy.active).toBe(true);
    observed(policy, repeat(false, 100));
    expect(policy.duplicateShare).toBe(0);
    expect(policy.active).toBe(false);
  });

  it('true and false are fixed: no share of duplicates turns them', () => {
    expect(observed(new PrecheckPolicy(false, 'eventual'), repeat(true, 50)).active).toBe(false);
    expect(observed(new PrecheckPolicy(true, 'eventual'), repeat(false, 150)).active).toBe(true);
  });

  it('weighs the commits in a moving average (7/8 the old, 1/8 the new): the break-even follows their size', () => {
    const policy = new PrecheckPolicy('auto', 'eventual');
    expect(policy.breakEvenShare).toBe(0.025);
    // a commit of 12 write units: the average moves from 4 to 5
    policy.observeCommit(12, 200);
    expect(policy.breakEvenShare).toBeCloseTo(0.02);
    // a 32000-byte record: the average moves from 200 to 4175 bytes, past 4 KB, so a read costs two half units
    policy.observeCommit(5, 32_000);
    expect(policy.breakEvenShare).toBeCloseTo(0.04);
  });
});
