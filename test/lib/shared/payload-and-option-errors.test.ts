import { describe, expect, it } from 'vitest';
import {
  dynamodbStreamBatchHandler,
  Idempotency,
  idempotency,
  kinesisBatchHandler,
  SchemaValidationError,
  type StandardSchemaIssue,
  type StandardSchemaV1,
  sqsBatchHandler,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';

// What a user reads when a payload is invalid or an option is wrong (lib/shared/schema.ts,
// lib/handlers/idempotent-handler.ts), found by mutation testing. No handler runs and nothing is written, so the
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

/** A Standard Schema whose validate throws `error`. */
const throwing = (error: unknown): StandardSchemaV1 => ({
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: () => {
      throw error;
    },
  },
});

describe('a schema that throws', () => {
  it('on a payload nested too deep for it (a stack overflow): an invalid payload, the overflow its cause', async () => {
    const overflow = new RangeError('Maximum call stack size exceeded');
    const error = await rejection(throwing(overflow));
    expect(error).toBeInstanceOf(SchemaValidationError);
    expect(error.message).toBe('Invalid payload: the payload is nested too deep to validate');
    expect(error.cause).toBe(overflow);
  });

  it.each([
    ['an Error of its own', new Error('the schema is broken')],
    ['a RangeError that is no stack overflow (a transform on an invalid date)', new RangeError('Invalid time value')],
    ['an Error that only mentions the call stack', new Error('call stack of the parser is corrupt')],
  ])('%s: rethrown as it is, not blamed on the payload', async (_, thrown) => {
    const handler = idempotency({ store, key: () => 'k', schema: throwing(thrown) }, () => 'ran');
    await expect(handler({}, lambdaContext())).rejects.toBe(thrown);
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
    expect(construct({ store, key: () => 'k', httpErrorBody: 'problem+json' })).toThrow(
      new TypeError('idempotency(): `httpErrorBody` must be a function (error) => string or object, or left out.'),
    );
    expect(construct({ store, key: () => 'k' }, 'handler')).toThrow(
      new TypeError(
        'idempotency(): `handler` must be a function (event, context) => result: idempotency(options, handler), or idempotency(options) to .use() it.',
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

describe('the batch handlers with wrong options or a wrong trigger', () => {
  const factories = {
    'kinesisBatchHandler()': kinesisBatchHandler,
    'dynamodbStreamBatchHandler()': dynamodbStreamBatchHandler,
    'sqsBatchHandler()': sqsBatchHandler,
  } as Record<string, (options: unknown) => unknown>;

  it.each(Object.keys(factories))('%s names the option, its shape, and whether it may be left out', (owner) => {
    const create = (options: unknown) => () => factories[owner](options);
    const handler = () => undefined;
    expect(create({ handler })).toThrow(new TypeError(`${owner}: \`store\` must be an Idempotency instance.`));
    expect(create({ store })).toThrow(/`handler` must be a function \(record, tx, context, payload\)\.$/);
    expect(create({ store, handler, key: 'id' })).toThrow(
      new TypeError(`${owner}: \`key\` must be a function (record) => string.`),
    );
    expect(create({ store, handler, fingerprint: 'body' })).toThrow(
      new TypeError(`${owner}: \`fingerprint\` must be a function (record) => payload, or left out.`),
    );
    expect(create({ store, handler, payload: 'body' })).toThrow(
      new TypeError(`${owner}: \`payload\` must be a function (record) => the value the schema validates.`),
    );
    expect(create({ store, handler, timeMarginMs: -1 })).toThrow(
      new TypeError(`${owner}: \`timeMarginMs\` must be a number of milliseconds >= 0 (got -1).`),
    );
    expect(create({ store, handler, onOutcome: 'log' })).toThrow(
      new TypeError(`${owner}: \`onOutcome\` must be a function (outcome, context), or left out.`),
    );
    expect(create({ store, handler, schema: {} })).toThrow(
      new TypeError(
        `${owner}: \`schema\` must be a Standard Schema (a zod, valibot or arktype schema...), or left out.`,
      ),
    );
  });

  it('sqsBatchHandler() checks its concurrency and its dead-letter queue', () => {
    const create = (options: object) => () => sqsBatchHandler({ store, handler: () => undefined, ...options });
    for (const concurrency of [0, 1.5, '4']) {
      expect(create({ concurrency })).toThrow(
        new TypeError(`sqsBatchHandler(): \`concurrency\` must be a whole number >= 1 (got ${concurrency}).`),
      );
    }
    const sqs = { send: () => Promise.resolve({}) };
    expect(create({ deadLetter: { queueUrl: 'https://sqs.example/dlq' } })).toThrow(
      new TypeError('sqsBatchHandler(): `deadLetter.client` must be an SQSClient (@aws-sdk/client-sqs).'),
    );
    expect(create({ deadLetter: { client: sqs, queueUrl: 'dlq' } })).toThrow(
      new TypeError('sqsBatchHandler(): `deadLetter.queueUrl` must be the DLQ\'s URL (got "dlq").'),
    );
    expect(create({ deadLetter: { client: sqs, queueUrl: 'http://localhost:4566/q' }, concurrency: 1 })).not.toThrow();
  });

  it.each([
    ['kinesisBatchHandler', kinesisBatchHandler],
    ['dynamodbStreamBatchHandler', dynamodbStreamBatchHandler],
  ] as const)('%s refuses an event without Records, naming the trigger to check', async (owner, factory) => {
    const handler = factory({ store, handler: () => undefined });
    for (const event of [undefined, {}, { Records: 'none' }]) {
      await expect(handler(event as never, lambdaContext())).rejects.toThrow(
        new RegExp(`^${owner}: the event has no Records array; is this function triggered by `),
      );
    }
  });
});
