import { describe, expect, it } from 'vitest';
import { bodyField, parseBody } from '../../../lib/webhooks/body-fields.js';

const parse = (text: string, kind: 'json' | 'form' | 'json-or-form') => parseBody(Buffer.from(text), kind);

describe('parseBody: reads the body as the scheme says the provider sends it', () => {
  it.each([
    ['{"id":"evt_1"}', 'json', { kind: 'json', value: { id: 'evt_1' } }],
    ['a=1&b=2', 'json', { kind: 'unreadable' }],
    ['{"id":"evt_1"}', 'json-or-form', { kind: 'json', value: { id: 'evt_1' } }],
    ['  \n[1,2]', 'json-or-form', { kind: 'json', value: [1, 2] }],
    ['{not json', 'json-or-form', { kind: 'unreadable' }],
  ] as const)('%j as %s', (text, kind, expected) => {
    expect(parse(text, kind)).toStrictEqual(expected);
  });

  it.each([
    ['a=1&b=2', 'form'],
    ['{"id":"evt_1"}', 'form'],
    ['a=1&b=2', 'json-or-form'],
    // a bracket later in a form body is a value, not JSON
    ['To=%2B1&Body=[hi]', 'json-or-form'],
    ['', 'json-or-form'],
  ] as const)('%j as %s is form parameters', (text, kind) => {
    const body = parse(text, kind);
    expect(body.kind).toBe('form');
    expect(body.kind === 'form' && body.params.toString()).toBe(new URLSearchParams(text).toString());
  });
});

describe('bodyField: a non-empty string at a path of the body, or a form parameter', () => {
  it('reads a form parameter, and treats an empty or missing one as absent', () => {
    const body = parse('MessageSid=SM1&Empty=', 'form');
    expect(bodyField(body, 'MessageSid')).toBe('SM1');
    expect(bodyField(body, 'Empty')).toBeUndefined();
    expect(bodyField(body, 'Missing')).toBeUndefined();
  });

  it('reads a dotted path of a JSON body; an unreadable body has no fields', () => {
    expect(bodyField(parse('{"payload":{"plainToken":"tok"}}', 'json'), 'payload.plainToken')).toBe('tok');
    expect(bodyField(parse('{"payload":"flat"}', 'json'), 'payload.plainToken')).toBeUndefined();
    expect(bodyField(parse('{"id":""}', 'json'), 'id')).toBeUndefined();
    expect(bodyField(parse('not json', 'json'), 'id')).toBeUndefined();
  });

  it('counts a whole number only when asked to, and only a non-negative safe integer', () => {
    const at = (value: unknown) => parse(JSON.stringify({ at: value }), 'json');
    expect(bodyField(at(1700000000000), 'at')).toBeUndefined();
    expect(bodyField(at(1700000000000), 'at', { numbers: true })).toBe('1700000000000');
    expect(bodyField(at(0), 'at', { numbers: true })).toBe('0');
    expect(bodyField(at(-5), 'at', { numbers: true })).toBeUndefined();
    expect(bodyField(at(1.5), 'at', { numbers: true })).toBeUndefined();
    expect(bodyField(at('1700000000000'), 'at', { numbers: true })).toBe('1700000000000');
  });
});
