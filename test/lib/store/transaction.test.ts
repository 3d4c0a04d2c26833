import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BusinessConditionError,
  Idempotency,
  IdempotencyKeyReuseError,
  outboxMessageId,
  ThrottlingError,
  TransactionConflictError,
  TransactionLimitError,
  UnstorableResultError,
} from '../../../lib/index.js';
import { createTable, getItem, localClient, scanAll } from '../../support/dynamo.js';
import { instrument } from '../../support/faults.js';

const client = localClient();
const calls = instrument(client);
let dedupTable: string;
let outboxTable: string;
let items: string;
let store: Idempotency;

beforeAll(async () => {
  [dedupTable, outboxTable, items] = await Promise.all([
    createTable(client, 'dedup'),
    createTable(client, 'outbox'),
    createTable(client, 'items'),
  ]);
  store = new Idempotency({ client, tableName: dedupTable, source: 'edges', outboxTable });
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function rejection(promise: Promise<unknown>) {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error) => error,
  );
}

const NOTHING_SENT =
  'Nothing was sent. Combine writes to one item into one action, and keep the transaction under DynamoDB limits.';

describe('refused before sending, with a message naming what collides', () => {
  it('a Put of the dedup record itself', async () => {
    calls.reset();
    const error = await rejection(
      store.run({ key: 'put-self' }, (tx) => tx.put({ TableName: dedupTable, Item: { pk: 'edges#put-self' } })),
    );
    expect(error).toEqual(
      new TransactionLimitError(
        `Cannot commit: two actions target the same item (the dedup record and staged write #0, Put on ${dedupTable}). ${NOTHING_SENT}`,
      ),
    );
    expect(calls.totalSent()).toBe(0);
  });

  it('but not a write to another item of the dedup table', async () => {
    const outcome = await store.run({ key: 'other-item' }, (tx) =>
      tx.put({ TableName: dedupTable, Item: { pk: 'notes#other-item', note: 'kept beside the record' } }),
    );
    expect(outcome.status).toBe('committed');
    expect(await getItem(client, dedupTable, 'notes#other-item')).toMatchObject({ note: 'kept beside the record' });
  });

  it('a Put on the outbox table of a message the same run emits', async () => {
    calls.reset();
    const messageId = outboxMessageId('edges#put-outbox', 0);
    const error = await rejection(
      store.run({ key: 'put-outbox' }, (tx) => {
        tx.emit({ destination: { kind: 'sqs', queueUrl: 'https://sqs.example/q' }, payload: { n: 1 } });
        tx.put({ TableName: outboxTable, Item: { pk: messageId, note: 'by hand' } });
      }),
    );
    expect(error).toEqual(
      new TransactionLimitError(
        `Cannot commit: two actions target the same item (staged write #0, Put on ${outboxTable} and staged write #1, Put on ${outboxTable}). ${NOTHING_SENT}`,
      ),
    );
    expect(calls.totalSent()).toBe(0);
  });

  it('a transaction over 4 MB, saying about how large it is', async () => {
    calls.reset();
    const blob = 'x'.repeat(390 * 1024);
    const error = await rejection(
      store.run({ key: 'over-4mb' }, (tx) => {
        for (let index = 0; index < 11; index++) tx.put({ TableName: items, Item: { pk: `big-${index}`, blob } });
      }),
    );
    expect(error).toBeInstanceOf(TransactionLimitError);
    expect(error.message).toMatch(
      /^Cannot commit: the transaction carries about \d+ bytes; DynamoDB accepts at most 4194304\. Nothing was sent\./,
    );
    expect(error.message.endsWith(NOTHING_SENT)).toBe(true);
    expect(calls.totalSent()).toBe(0);
  });
});

describe("DynamoDB's own refusals", () => {
  it("a limit DynamoDB finds is a TransactionLimitError carrying DynamoDB's words", async () => {
    const error = await rejection(
      store.run({ key: 'two-puts' }, (tx) => {
        tx.put({ TableName: items, Item: { pk: 'two-puts', v: 1 } });
        tx.put({ TableName: items, Item: { pk: 'two-puts', v: 2 } });
      }),
    );
    expect(error).toBeInstanceOf(TransactionLimitError);
    expect(error.cause.name).toBe('ValidationException');
    expect(error.message).toBe(`DynamoDB rejected the transaction: ${error.cause.message}`);
  });

  it('another ValidationException (a malformed expression) propagates as DynamoDB raised it, and nothing is written', async () => {
    const error = await rejection(
      store.run({ key: 'bad-expression' }, (tx) => {
        tx.update({ TableName: items, Key: { pk: 'bad-expression' }, UpdateExpression: 'SET = oops' });
      }),
    );
    expect(error.name).toBe('ValidationException');
    expect(error).not.toBeInstanceOf(TransactionLimitError);
    expect(await getItem(client, dedupTable, 'edges#bad-expression')).toBeUndefined();
  });

  // a missing table: test/lib/store/missing-table.test.ts
});

describe('staged conditions', () => {
  it('a ConditionCheck that holds lets the transaction commit; one that fails names the write and DynamoDB’s reason', async () => {
    await client.send(new PutCommand({ TableName: items, Item: { pk: 'open-order', status: 'open' } }));
    const check = (status: string) => ({
      TableName: items,
      Key: { pk: 'open-order' },
      ConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': status },
    });
    const held = await store.run({ key: 'check-holds' }, (tx) => {
      tx.conditionCheck(check('open'));
      tx.put({ TableName: items, Item: { pk: 'shipped-after-check' } });
    });
    expect(held.status).toBe('committed');
    expect(await getItem(client, items, 'shipped-after-check')).toBeDefined();

    const error = await rejection(
      store.run({ key: 'check-fails' }, (tx) => {
        tx.conditionCheck(check('closed'));
        tx.put({ TableName: items, Item: { pk: 'not-shipped' } });
      }),
    );
    expect(error).toBeInstanceOf(BusinessConditionError);
    const reason = error.cause.CancellationReasons[1].Message;
    expect(reason).toEqual(expect.any(String));
    expect(error.message).toBe(
      `The condition on staged write #0 (ConditionCheck on ${items} {"pk":"open-order"}) failed: ${reason}. ` +
        'Nothing was written; the event is not marked as handled. A later delivery may succeed (an earlier ' +
        'event applied first); if this one never can, throw a PermanentError from the handler instead.',
    );
    expect(await getItem(client, items, 'not-shipped')).toBeUndefined();
  });
});

describe('fingerprints on a repeat', () => {
  it('a repeat without a fingerprint is a duplicate of a first delivery that had one', async () => {
    await store.run({ key: 'fp-first', fingerprint: { amount: 1 } }, () => 'first');
    expect(await store.run({ key: 'fp-first' }, () => 'second')).toMatchObject({
      status: 'duplicate',
      result: 'first',
    });
  });

  it('a repeat with a fingerprint is a duplicate of a first delivery that had none', async () => {
    await store.run({ key: 'fp-later' }, () => 'first');
    expect(await store.run({ key: 'fp-later', fingerprint: { amount: 1 } }, () => 'second')).toMatchObject({
      status: 'duplicate',
      result: 'first',
    });
  });
});

describe('a dedup record without a first-seen time (written by hand or by an older writer)', () => {
  it('a duplicate of it reports an empty firstSeenAt', async () => {
    await client.send(new PutCommand({ TableName: dedupTable, Item: { pk: 'edges#no-time', result: '"old"' } }));
    expect(await store.run({ key: 'no-time' }, () => 'new')).toEqual({
      status: 'duplicate',
      firstSeenAt: '',
      result: 'old',
      resultOmitted: false,
    });
  });

  it('a reused key says so without a first-seen time', async () => {
    const other = new Idempotency({ client, tableName: dedupTable, source: 'edges' });
    await other.run({ key: 'no-time-fp', fingerprint: { a: 1 } }, () => undefined);
    const record = await getItem(client, dedupTable, 'edges#no-time-fp');
    const { firstSeenAt: _, ...withoutTime } = record as Record<string, unknown>;
    await client.send(new PutCommand({ TableName: dedupTable, Item: withoutTime }));

    const error = await rejection(store.run({ key: 'no-time-fp', fingerprint: { a: 2 } }, () => undefined));
    expect(error).toBeInstanceOf(IdempotencyKeyReuseError);
    expect(error.firstSeenAt).toBeUndefined();
    expect(error.message).toBe(
      'Idempotency key "edges#no-time-fp" was already used with a different payload. A key must identify one event: give each distinct event its own key.',
    );
  });
});

describe('the stored result', () => {
  it('a result too large with resultTooLarge "error" says its size, the room, and what to do', async () => {
    const strict = new Idempotency({
      client,
      tableName: dedupTable,
      source: 'strict',
      maxResultBytes: 10,
      resultTooLarge: 'error',
    });
    const error = await rejection(strict.run({ key: 'eleven' }, () => '123456789'));
    expect(error).toEqual(
      new TransactionLimitError(
        'The handler\'s result is 11 bytes as JSON; at most 10 can be stored with the dedup record. Return a smaller result (an id, a status), or set resultTooLarge: "omit".',
      ),
    );
    expect(await strict.run({ key: 'ten' }, () => '12345678')).toEqual({ status: 'committed', result: '12345678' });
  });

  it('counts the result in UTF-8 bytes, not characters', async () => {
    const strict = new Idempotency({
      client,
      tableName: dedupTable,
      source: 'utf8',
      maxResultBytes: 10,
      resultTooLarge: 'error',
    });
    // 5 characters of 3 bytes each: 17 bytes of JSON with the quotes
    const error = await rejection(strict.run({ key: 'euro' }, () => '€€€€€'));
    expect(error.message).toMatch(/^The handler's result is 17 bytes as JSON/);
  });

  it('a result whose toJSON throws says so, keeping that error as its cause', async () => {
    const broken = {
      toJSON: () => {
        throw new RangeError('no JSON form');
      },
    };
    const error = await rejection(store.run({ key: 'throwing-result' }, () => broken));
    expect(error).toBeInstanceOf(UnstorableResultError);
    expect(error.cause).toBeInstanceOf(RangeError);
    expect(error.message).toMatch(
      /^The handler's result cannot be stored for duplicates to replay: its toJSON threw \(no JSON form\)\./,
    );
  });

  it('a toJSON that gives undefined commits like a void handler: a duplicate gets no result', async () => {
    const outcome = await store.run({ key: 'undefined-json' }, () => ({ toJSON: () => undefined }));
    expect(outcome.status).toBe('committed');
    expect(await store.run({ key: 'undefined-json' }, () => undefined)).toMatchObject({
      status: 'duplicate',
      result: undefined,
      resultOmitted: false,
    });
  });
});

describe('several emits in one run', () => {
  it('get consecutive positions, each its own message', async () => {
    const outcome = await store.run({ key: 'two-emits' }, (tx) => [
      tx.emit({ destination: { kind: 'sqs', queueUrl: 'https://sqs.example/q' }, payload: { n: 1 } }),
      tx.emit({ destination: { kind: 'sqs', queueUrl: 'https://sqs.example/q' }, payload: { n: 2 } }),
    ]);
    const ids = [outboxMessageId('edges#two-emits', 0), outboxMessageId('edges#two-emits', 1)];
    expect(outcome).toEqual({ status: 'committed', result: ids });
    const stored = (await scanAll(client, outboxTable)).filter((item) => item.sourceKey === 'edges#two-emits');
    expect(stored.map((item) => [item.position, item.payload]).sort()).toEqual([
      [0, JSON.stringify({ n: 1 })],
      [1, JSON.stringify({ n: 2 })],
    ]);
  });
});

/** A store whose TransactWriteItems is answered, unsent, with `answer` (a fault in the middleware stack). */
function storeAnswering(answer: () => Error, options: { maxAttempts?: number; retryBaseDelayMs?: number } = {}) {
  const faulty: DynamoDBDocumentClient = localClient({ maxAttempts: 1 });
  let attempts = 0;
  faulty.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'TransactWriteCommand' || context.commandName === 'TransactWriteItemsCommand') {
        attempts++;
        throw answer();
      }
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'txonceTestAnswer' },
  );
  const faultyStore = new Idempotency({ client: faulty, tableName: dedupTable, source: 'answered', ...options });
  return { store: faultyStore, attempts: () => attempts };
}

const canceled = (reasons: ({ Code?: string; Message?: string } | undefined)[] | undefined) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons (injected)',
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: reasons as never,
  });

const named = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: {} });

const stageOne = (tx: Parameters<Parameters<Idempotency['run']>[1]>[0]) =>
  tx.update({
    TableName: items,
    Key: { pk: 'answered' },
    UpdateExpression: 'SET a = :a',
    ExpressionAttributeValues: { ':a': 1 },
  });

describe('how a failed commit is read', () => {
  it.each(['ThrottlingException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException'])(
    'a request refused with %s is a retryable ThrottlingError',
    async (name) => {
      const { store: answered } = storeAnswering(() => named(name, 'slow down (injected)'));
      const error = await rejection(answered.run({ key: `throttled-${name}` }, stageOne));
      expect(error).toBeInstanceOf(ThrottlingError);
      expect(error.cause.name).toBe(name);
    },
  );

  it('a transaction cancelled for ProvisionedThroughputExceeded on a staged write is a ThrottlingError', async () => {
    const { store: answered } = storeAnswering(() =>
      canceled([{ Code: 'None' }, { Code: 'ProvisionedThroughputExceeded' }]),
    );
    expect(await rejection(answered.run({ key: 'throughput-reason' }, stageOne))).toBeInstanceOf(ThrottlingError);
  });

  it("a transaction cancelled for a ValidationError is a TransactionLimitError with DynamoDB's reason", async () => {
    const injected = canceled([
      { Code: 'None' },
      { Code: 'ValidationError', Message: 'Item size has exceeded the maximum allowed size' },
    ]);
    const { store: answered } = storeAnswering(() => injected);
    const error = await rejection(answered.run({ key: 'validation-reason' }, stageOne));
    expect(error).toEqual(
      new TransactionLimitError('DynamoDB rejected the transaction: Item size has exceeded the maximum allowed size'),
    );
    expect(error.cause).toBe(injected);
  });

  it('a transaction cancelled because an item collection is full, without a message, names the code', async () => {
    const { store: answered } = storeAnswering(() =>
      canceled([{ Code: 'None' }, { Code: 'ItemCollectionSizeLimitExceeded' }]),
    );
    const error = await rejection(answered.run({ key: 'collection-full' }, stageOne));
    expect(error).toEqual(
      new TransactionLimitError('DynamoDB rejected the transaction: ItemCollectionSizeLimitExceeded'),
    );
  });

  it('a failed condition without a message from DynamoDB says ConditionalCheckFailed', async () => {
    const { store: answered } = storeAnswering(() => canceled([{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }]));
    const error = await rejection(answered.run({ key: 'bare-condition' }, stageOne));
    expect(error).toBeInstanceOf(BusinessConditionError);
    expect(error.message).toContain('failed: ConditionalCheckFailed. Nothing was written');
  });

  it.each([
    ['an unknown cancellation reason', () => canceled([{ Code: 'None' }, { Code: 'SomethingNew' }])],
    ['a cancellation without reasons', () => canceled(undefined)],
    ['an unexpected error', () => named('InternalServerError', 'size of the universe (injected)')],
  ])('%s propagates as DynamoDB raised it, tried once', async (_, answer) => {
    let thrown: Error | undefined;
    const { store: answered, attempts } = storeAnswering(() => {
      thrown = answer();
      return thrown;
    });
    const error = await rejection(answered.run({ key: `as-raised-${_}` }, stageOne));
    expect(error).toBe(thrown);
    expect(attempts()).toBe(1);
  });
});

describe('retries after TransactionConflict', () => {
  it('wait a full-jitter delay up to retryBaseDelayMs doubled per attempt, capped at 1 s', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const realSetTimeout = globalThis.setTimeout;
    const delays: number[] = [];
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((handler: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return realSetTimeout(handler, 0);
    }) as typeof setTimeout);
    const { store: answered, attempts } = storeAnswering(
      () => canceled([{ Code: 'None' }, { Code: 'TransactionConflict' }]),
      {
        maxAttempts: 5,
        retryBaseDelayMs: 150,
      },
    );

    const error = await rejection(answered.run({ key: 'backoff' }, stageOne));

    expect(error).toBeInstanceOf(TransactionConflictError);
    expect(attempts()).toBe(5);
    // ceilings 300, 600, 1000 (1200 capped), 1000 (2400 capped); half of each
    expect(delays).toEqual([150, 300, 500, 500]);
  });

  it('really wait between attempts', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.99);
    const { store: answered } = storeAnswering(() => canceled([{ Code: 'None' }, { Code: 'TransactionConflict' }]), {
      maxAttempts: 3,
      retryBaseDelayMs: 50,
    });
    const started = Date.now();
    await rejection(answered.run({ key: 'waits' }, stageOne));
    // 0.99 * (100 + 200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});
