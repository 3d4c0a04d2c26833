import { describe, expect, it } from 'vitest';
import { parseSecretList } from '../../../lib/webhooks/secret-list.js';

describe('parseSecretList: one secret, or a JSON array of them during a rotation', () => {
  it.each([
    ['whsec_abc', ['whsec_abc']],
    ['  whsec_abc\n', ['whsec_abc']],
    ['["new","old"]', ['new', 'old']],
    ['\n ["new"] ', ['new']],
  ])('%j is %j', (text, expected) => {
    expect(parseSecretList(text)).toStrictEqual(expected);
  });

  it.each(['["new",""]', '[""]', '[1]', '["new",2]', '[["nested"]]', '[null]'])(
    'refuses %s: an array of anything but non-empty strings',
    (text) => {
      expect(() => parseSecretList(text)).toThrow(
        new TypeError('The webhook secret is a JSON array, but not of non-empty strings.'),
      );
    },
  );
});
