import { describe, expect, it } from 'vitest';
import { putKey } from '../../../lib/store/put-key.js';

// The key a BusinessConditionError names for a staged Put: what another staged action on the same
// table names as its Key, else what the Put's own condition tests for existence; never guessed.

const put = { TableName: 'orders', Item: { pk: 'o-1', sk: 'v1', total: 5 } };

describe("a Put's key in error messages", () => {
  it.each([
    [
      'the Key of a keyed action on the same table, not one on another table',
      { ...put, ConditionExpression: 'attribute_not_exists(pk)' },
      [
        { TableName: 'customers', Key: { id: 'c-1' } },
        { TableName: 'orders' },
        { TableName: 'orders', Key: { pk: 'o-0', sk: 'v0' } },
      ],
      { pk: 'o-1', sk: 'v1' },
    ],
    [
      'the names its condition tests for existence, without ExpressionAttributeNames',
      { ...put, ConditionExpression: 'attribute_not_exists(pk)' },
      [{ TableName: 'customers', Key: { id: 'c-1' } }, { TableName: 'orders' }],
      { pk: 'o-1' },
    ],
    [
      'the names its condition tests, through ExpressionAttributeNames, once each, and only those the item has',
      {
        ...put,
        ConditionExpression: 'attribute_not_exists(#pk) AND attribute_not_exists(pk) OR attribute_exists(archivedAt)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      },
      [],
      { pk: 'o-1' },
    ],
  ])('%s', (_, write, actions, key) => {
    expect(putKey(write, actions)).toStrictEqual(key);
  });

  it('is undefined when nothing tells, or the Put has no item', () => {
    expect(putKey(put, [{ TableName: 'customers', Key: { id: 'c-1' } }])).toBeUndefined();
    expect(putKey({ TableName: 'orders', ConditionExpression: 'attribute_not_exists(pk)' }, [])).toBeUndefined();
  });
});
