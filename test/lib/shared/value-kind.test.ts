import { describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../../lib/index.js';

// Errors name what they got in words ("got null", "got an object"): a parsed body passed as the
// raw body, or no body at all, is told apart.

describe('what an error says it got', () => {
  it.each([
    [null, 'null'],
    [undefined, 'undefined'],
    [{ id: 'evt_1' }, 'an object'],
    [['evt_1'], 'an array'],
    [42, 'a number'],
  ])('a rawBody of %o is named as %s', (rawBody, kind) => {
    expect(() =>
      verifyWebhookSignature({ scheme: 'github', secrets: 'secret', headers: {}, rawBody: rawBody as never }),
    ).toThrow(`not the parsed JSON (got ${kind}).`);
  });
});
