import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BusinessConditionError,
  fingerprintOf,
  Idempotency,
  IdempotencyError,
  IdempotencyKeyReuseError,
  MiddlewareOrderError,
  MissingIdempotencyKeyError,
  NoTimeToCommitError,
  ThrottlingError,
  TransactionConflictError,
  TransactionLimitError,
  UnfingerprintablePayloadError,
  verifyWebhookSignature,
  WebhookVerificationError,
} from '../../../lib/index.js';
import { createTable, localClient } from '../../support/dynamo.js';
import { type Fault, instrument } from '../../support/faults.js';

// What a caller reads when txonce refuses: every error says what was wrong and what to do about
// it, carries its own name (minifiers rename classes) and whether a retry can help.

const client = localClient();
let dedupTable: string;
let accounts: string;

beforeAll(async () => {
  [dedupTable, accounts] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'accounts')]);
});

function storeWithFaults(faults: Fault[]): Idempotency {
  const faulty = localClient({ maxAttempts: 1 });
  instrument(faulty, (attempt) => faults[attempt - 1] ?? 'none');
  return new Idempotency({ client: faulty, tableName: dedupTable, source: 'messages', retryBaseDelayMs: 1 });
}

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('it should have been refused'),
    (error: unknown) => error,
  );

describe('the errors a caller reads', () => {
  it('a key reused with another payload names the key, when it was first seen, and that a key is one event', async () => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'messages' });
    await store.run({ key: 'evt-1', fingerprint: { amount: 1 } }, () => 'ok');
    const error = await caught(store.run({ key: 'evt-1', fingerprint: { amount: 2 } }, () => 'ok'));
    expect(error).toBeInstanceOf(IdempotencyKeyReuseError);
    const reuse = error as IdempotencyKeyReuseError;
    expect(reuse.firstSeenAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(reuse.message).toBe(
      `Idempotency key "messages#evt-1" was already used with a different payload (first seen ${reuse.firstSeenAt}). ` +
        'A key must identify one event: give each distinct event its own key.',
    );
    expect(reuse).toMatchObject({ name: 'IdempotencyKeyReuseError', recordKey: 'messages#evt-1', retryable: false });
    expect(reuse).toMatchObject({ statusCode: 422, expose: true });
  });

  it('a key reused against a record that does not say when it was first seen leaves the time out', async () => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'messages' });
    // a record written by hand (a migration): a fingerprint, no firstSeenAt
    await client.send(
      new PutCommand({ TableName: dedupTable, Item: { pk: 'messages#evt-hand', fingerprint: 'f'.repeat(64) } }),
    );
    const error = await caught(store.run({ key: 'evt-hand', fingerprint: { amount: 2 } }, () => 'ok'));
    expect((error as Error).message).toBe(
      'Idempotency key "messages#evt-hand" was already used with a different payload. ' +
        'A key must identify one event: give each distinct event its own key.',
    );
    expect(error).toMatchObject({ firstSeenAt: undefined });
  });

  it('a missing key says what came instead and what to pass', async () => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'messages' });
    const error = await caught(store.run({ key: '' }, () => 'ok'));
    expect(error).toBeInstanceOf(MissingIdempotencyKeyError);
    expect((error as Error).message).toBe(
      "No idempotency key: the key is an empty string. Pass a non-empty string key (the producer's event id is best).",
    );
    expect(error).toMatchObject({
      name: 'MissingIdempotencyKeyError',
      retryable: false,
      statusCode: 400,
      expose: true,
    });
  });

  it('a failed condition of the handler names the write, its table and key, and that nothing was written', async () => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'messages' });
    const error = await caught(
      store.run({ key: 'evt-condition' }, (tx) => {
        tx.put({ TableName: accounts, Item: { pk: 'acc-1' } });
        tx.update({
          TableName: accounts,
          Key: { pk: 'acc-2' },
          UpdateExpression: 'SET balance = :zero',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':zero': 0 },
        });
      }),
    );
    expect(error).toBeInstanceOf(BusinessConditionError);
    const condition = error as BusinessConditionError;
    expect(condition.message).toMatch(
      new RegExp(
        `^The condition on staged write #1 \\(Update on ${accounts} \\{"pk":"acc-2"\\}\\) failed: .+\\. ` +
          'Nothing was written; the event is not marked as handled\\. A later delivery may succeed \\(an earlier ' +
          'event applied first\\); if this one never can, throw a PermanentError from the handler instead\\.$',
      ),
    );
    expect(condition).toMatchObject({ name: 'BusinessConditionError', retryable: true });
    expect(condition.write).toEqual({ index: 1, action: 'Update', tableName: accounts, key: { pk: 'acc-2' } });
  });

  it('a failed condition on a Put names its key: the attribute its condition tests', async () => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'messages' });
    await client.send(new PutCommand({ TableName: accounts, Item: { pk: 'acc-taken' } }));
    const error = await caught(
      store.run({ key: 'evt-put' }, (tx) =>
        tx.put({
          TableName: accounts,
          Item: { pk: 'acc-taken', owner: 'cus_1' },
          ConditionExpression: 'attribute_not_exists(#k)',
          ExpressionAttributeNames: { '#k': 'pk' },
        }),
      ),
    );
    expect((error as Error).message).toMatch(
      new RegExp(`^The condition on staged write #0 \\(Put on ${accounts} \\{"pk":"acc-taken"\\}\\) failed: `),
    );
    expect((error as BusinessConditionError).write.key).toEqual({ pk: 'acc-taken' });
  });

  it('a failed condition on a Put names its key: the Key another write on the table names', async () => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'messages' });
    await client.send(new PutCommand({ TableName: accounts, Item: { pk: 'acc-locked', locked: true } }));
    const error = await caught(
      store.run({ key: 'evt-put-keyed' }, (tx) => {
        tx.update({
          TableName: accounts,
          Key: { pk: 'acc-other' },
          UpdateExpression: 'SET seen = :t',
          ExpressionAttributeValues: { ':t': true },
        });
        tx.put({
          TableName: accounts,
          Item: { pk: 'acc-locked', owner: 'cus_2' },
          ConditionExpression: 'locked <> :t',
          ExpressionAttributeValues: { ':t': true },
        });
      }),
    );
    expect((error as BusinessConditionError).write).toEqual({
      index: 1,
      action: 'Put',
      tableName: accounts,
      key: { pk: 'acc-locked' },
    });
  });

  it('a Put whose key nothing names says so rather than guessing from the item', async () => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'messages' });
    await client.send(new PutCommand({ TableName: accounts, Item: { pk: 'acc-frozen', frozen: true } }));
    const error = await caught(
      store.run({ key: 'evt-put-unnamed' }, (tx) =>
        tx.put({
          TableName: accounts,
          Item: { pk: 'acc-frozen' },
          ConditionExpression: 'frozen <> :t',
          ExpressionAttributeValues: { ':t': true },
        }),
      ),
    );
    expect((error as Error).message).toMatch(
      new RegExp(`^The condition on staged write #0 \\(Put on ${accounts}, its key not named by the write\\) failed: `),
    );
  });

  it('conflicts that outlast the retries say how many, that nothing was written, and to deliver again later', async () => {
    const store = storeWithFaults(Array(6).fill('conflict'));
    const error = await caught(store.run({ key: 'evt-conflict' }, () => 'ok'));
    expect(error).toBeInstanceOf(TransactionConflictError);
    expect((error as Error).message).toBe(
      'The transaction conflicted with concurrent writes 6 times in a row; nothing was written. ' +
        'Deliver the event again later.',
    );
    expect(error).toMatchObject({ name: 'TransactionConflictError', attempts: 6, retryable: true });
  });

  it('throttling says a repeat is safe and what to raise', async () => {
    const error = await caught(storeWithFaults(['throttle']).run({ key: 'evt-throttle' }, () => 'ok'));
    expect(error).toBeInstanceOf(ThrottlingError);
    expect((error as Error).message).toBe(
      'DynamoDB throttled the transaction. Deliver the event again later (a repeat is safe), or raise the table capacity.',
    );
    expect(error).toMatchObject({ name: 'ThrottlingError', retryable: true });
  });

  it('a refused webhook names the reason, and answers 400 only for a malformed header', () => {
    const refuse = (headers: Record<string, string>) => {
      try {
        verifyWebhookSignature({
          scheme: 'github',
          secrets: 'secret',
          headers: { 'x-github-delivery': 'd-1', ...headers },
          rawBody: '{}',
        });
      } catch (error) {
        return error;
      }
      return expect.unreachable('it should have been refused');
    };
    const bad = refuse({ 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` });
    expect(bad).toBeInstanceOf(WebhookVerificationError);
    expect(bad).toMatchObject({ name: 'WebhookVerificationError', reason: 'bad-signature', statusCode: 401 });
    expect((bad as Error).message).toMatch(/^Webhook rejected \(bad-signature\): \S/);
    expect((refuse({ 'x-hub-signature-256': 'md5=abc' }) as Error).message).toBe(
      'Webhook rejected (malformed-header): x-hub-signature-256 must start with sha256=',
    );
    const malformed = refuse({ 'x-hub-signature-256': 'md5=abc' });
    expect(malformed).toMatchObject({ reason: 'malformed-header', statusCode: 400, retryable: false });
    expect(refuse({})).toMatchObject({ reason: 'missing-header', statusCode: 401 });
  });

  it('a payload that cannot be fingerprinted says what to pass instead', () => {
    let error: unknown;
    try {
      fingerprintOf({ tags: new Map([['a', 1]]) });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(UnfingerprintablePayloadError);
    expect((error as Error).message).toMatch(
      /^Cannot fingerprint the payload: .+\. Pass JSON data \(plain objects, arrays, strings, numbers, booleans, null; a Map as Object\.fromEntries\(map\)\)\.$/,
    );
    expect(error).toMatchObject({ name: 'UnfingerprintablePayloadError', retryable: false });
  });

  it("a transaction over DynamoDB's 100 actions is refused by its own name, not to be retried", async () => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'messages' });
    const error = await caught(
      store.run({ key: 'evt-limit' }, (tx) => {
        for (let index = 0; index < 100; index++) tx.put({ TableName: accounts, Item: { pk: `a-${index}` } });
      }),
    );
    expect(error).toBeInstanceOf(TransactionLimitError);
    expect(error).toMatchObject({ name: 'TransactionLimitError', retryable: false });
  });

  it.each([
    [
      'a middleware used after it (the default reason)',
      () => new MiddlewareOrderError(),
      'order',
      'The idempotency(options) middleware must be used last, nearest the handler: a middleware used after it ' +
        'changed the handler’s answer or answered early from its `after`, before idempotency() could commit. ' +
        'Nothing was written. Move .use(idempotency(options)) after every other .use(), or wrap the handler ' +
        'instead: middy().use(...).handler(idempotency(options, handler)).',
    ],
    [
      'a write staged after the commit began',
      () => new MiddlewareOrderError('late-write'),
      'late-write',
      'The handler staged a write after the idempotency(options) middleware had begun to commit: Middy answered ' +
        'before the handler returned (its early timeout, with a timeoutEarlyResponse that answers), or the ' +
        'handler did not await its work. A middleware cannot see Middy’s timeout; wrap the handler instead, ' +
        'middy().use(...).handler(idempotency(options, handler)), which commits nothing for a handler that has ' +
        'not returned. Until then this middleware refuses every request.',
    ],
  ])(
    'a misplaced middleware, for %s, says what happened and what to change; never retryable',
    (_, build, reason, message) => {
      const error = build();
      expect(error).toBeInstanceOf(IdempotencyError);
      expect(error.message).toBe(message);
      expect(error.name).toBe('MiddlewareOrderError');
      expect(error.reason).toBe(reason);
      expect(error.retryable).toBe(false);
    },
  );

  it('an answer too close to the deadline says how much time was left and needed, and that a redelivery is safe', () => {
    const error = new NoTimeToCommitError(20, 200);
    expect(error).toBeInstanceOf(IdempotencyError);
    expect(error.message).toBe(
      "Only 20 ms were left when the handler's answer reached the idempotency(options) middleware: too little " +
        "to commit (it needs 200 ms), and most likely Middy's early timeout answered while the handler still runs. " +
        'Nothing was written; the event can be delivered again. Give the function more time, or wrap the handler ' +
        'to answer on the early timeout: middy().use(...).handler(idempotency(options, handler)).',
    );
    expect(error).toMatchObject({ name: 'NoTimeToCommitError', retryable: true });
  });

  it('the base class carries its own name and the cause', () => {
    const cause = new Error('underneath');
    const error = new IdempotencyError('what went wrong', { retryable: true, cause });
    expect(error).toMatchObject({ name: 'IdempotencyError', message: 'what went wrong', retryable: true, cause });
  });
});
