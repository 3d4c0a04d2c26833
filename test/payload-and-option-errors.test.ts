import { describe, expect, it } from 'vitest';
import {
  Idempotency,
  idempotency,
  SchemaValidationError,
  type StandardSchemaIssue,
  type StandardSchemaV1,
} from '../lib/index.js';
import { lambdaContext } from '../local/lambda-context.js';

// What a user reads when a payload is invalid or an option is wrong (lib/schema.ts,
// lib/middleware.ts), found by mutation testing. No handler runs and nothing is written, so the
// store's client is never called.

const store = new Idempotency({
  client: { send: () => Promise.reject(new Error('the client is not called')) } as never,
  tableName: 'never-called',
  source: 'errors',
});

/** A Standard Schema that reports `issues` for every payload. */
const rejecting = (issues: StandardSchemaIssue[]): StandardSchemaV1 => ({
  '~standard': { version: 1, vendor: 'test', validate: () => ({ issues }) },
});
const accepting: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } };

const rejection = async (schema: StandardSchemaV1, payload?: () => unknown): Promise<SchemaValidationError> => {
  const handler = idempotency({ store, key: () => 'k', schema, payload }, () => 'ran');
  return handler({}, lambdaContext()).then(
    () => {
      throw new Error('expected a SchemaValidationError');
    },
    (error: SchemaValidationError) => error,
  );
};

describe('an invalid payload', () => {
  it('lists every issue with its dotted path, path segments as the schema gave them', async () => {
    const meta = Symbol('meta');
    const error = await rejection(
      rejecting([
        { message: 'must be positive', path: [{ key: 'data' }, { key: 'amount' }] },
        { message: 'is required', path: ['items', 0, { key: 1 }] },
        { message: 'is not allowed', path: [meta] },
        { message: 'must be an object' },
      ]),
    );
    expect(error).toBeInstanceOf(SchemaValidationError);
    expect(error.message).toBe(
      'Invalid payload: data.amount: must be positive; items.0.1: is required; Symbol(meta): is not allowed; must be an object',
    );
    expect(error.issues).toEqual([
      { message: 'must be positive', path: ['data', 'amount'] },
      { message: 'is required', path: ['items', 0, 1] },
      { message: 'is not allowed', path: ['Symbol(meta)'] },
      { message: 'must be an object', path: [] },
    ]);
  });

  it('that cannot even be read says why, keeping what was thrown as the cause', async () => {
    const unreadable = new Error('body is not JSON');
    const error = await rejection(accepting, () => {
      throw unreadable;
    });
    expect(error.message).toBe('Invalid payload: the payload could not be read: body is not JSON');
    expect(error.cause).toBe(unreadable);

    const thrownNull = await rejection(accepting, () => {
      throw null;
    });
    expect(thrownNull.message).toBe('Invalid payload: the payload could not be read: null');
  });
});

describe('idempotency(options, handler) with wrong options', () => {
  const handler = () => 'ran';
  const construct =
    (options: unknown, withHandler: unknown = handler) =>
    () =>
      (idempotency as (options: unknown, handler: unknown) => unknown)(options, withHandler);

  it('says the options are required when there are none, or they are not an object', () => {
    for (const options of [undefined, null, 'store']) {
      expect(construct(options)).toThrow(
        new TypeError('idempotency(): options { store, key, fingerprint? } are required.'),
      );
    }
  });

  it('names the option, the shape it must have, and whether it may be left out', () => {
    expect(construct({ store, key: 'id' })).toThrow(
      new TypeError('idempotency(): `key` must be a function (event, context) => string.'),
    );
    expect(construct({ store, key: () => 'k', fingerprint: 'body' })).toThrow(
      new TypeError('idempotency(): `fingerprint` must be a function (event) => payload, or left out.'),
    );
    expect(construct({ store, key: () => 'k', payload: null })).toThrow(
      new TypeError(
        'idempotency(): `payload` must be a function (event) => the value the schema validates, or left out.',
      ),
    );
    expect(construct({ store, key: () => 'k' }, 'handler')).toThrow(
      new TypeError(
        'idempotency(): `handler` must be a function (event, context) => result, passed as the second argument: idempotency(options, handler).',
      ),
    );
  });

  it('refuses a schema of null as not a Standard Schema', () => {
    expect(construct({ store, key: () => 'k', schema: null })).toThrow(
      new TypeError(
        'idempotency(): `schema` must be a Standard Schema (a zod, valibot or arktype schema...), or left out.',
      ),
    );
  });
});
