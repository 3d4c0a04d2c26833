import { PutCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BusinessConditionError,
  type CallerErrorBody,
  headerKey,
  Idempotency,
  IdempotencyKeyReuseError,
  type IdempotentContext,
  idempotency,
  MissingIdempotencyKeyError,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { createTable, localClient } from '../../support/dynamo.js';

const client = localClient();
let accounts: string;
let dedupTable: string;
let store: Idempotency;

beforeAll(async () => {
  [dedupTable, accounts] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'accounts')]);
  store = new Idempotency({ client, tableName: dedupTable, source: 'billing' });
});

/** Debits an account only while its balance covers it: a business condition the caller can act on. */
async function debit(event: APIGatewayProxyEvent, context: IdempotentContext) {
  const { account, amount } = JSON.parse(event.body ?? '{}') as { account: string; amount: number };
  context.tx.update({
    TableName: accounts,
    Key: { pk: account },
    UpdateExpression: 'SET balance = balance - :amount',
    ConditionExpression: 'balance >= :amount',
    ExpressionAttributeValues: { ':amount': amount },
  });
  return { statusCode: 200, body: JSON.stringify({ debited: amount }) };
}

const forms = {
  'idempotency(options, handler)': (options: Parameters<typeof idempotency<APIGatewayProxyEvent>>[0]) =>
    middy<APIGatewayProxyEvent, APIGatewayProxyResult>().handler(idempotency(options, debit) as never),
  '.use(idempotency(options))': (options: Parameters<typeof idempotency<APIGatewayProxyEvent>>[0]) =>
    middy(debit).use(idempotency(options)),
};

/** An API behind @middy/http-error-handler, with what it logs. */
function api(form: keyof typeof forms, httpErrorBody?: CallerErrorBody) {
  const logged: unknown[] = [];
  const handler = forms[form]({
    store,
    key: headerKey<APIGatewayProxyEvent>('Idempotency-Key'),
    fingerprint: (event) => event.body,
    httpErrorBody,
  }).use(httpErrorHandler({ logger: (error: unknown) => logged.push(error) }));
  const call = (key: string | undefined, body: object) =>
    handler(
      {
        body: JSON.stringify(body),
        headers: key === undefined ? {} : { 'idempotency-key': key },
      } as unknown as APIGatewayProxyEvent,
      lambdaContext() as IdempotentContext,
    ) as Promise<APIGatewayProxyResult>;
  return { call, logged };
}

/** What the log shows for an error: its message and its cause's, as console.error prints them. */
const logText = (error: unknown) => `${(error as Error).message} ${((error as Error).cause as Error)?.message}`;

describe.each(Object.keys(forms) as (keyof typeof forms)[])('HTTP errors of %s', (form) => {
  it('answers a failed business condition with 409 and a sentence for the caller; the table and key go to the log', async () => {
    const { call, logged } = api(form);
    await client.send(
      new PutCommand({
        TableName: accounts,
        Item: { pk: `acct-${form}`, balance: 5 },
      }),
    );
    const answer = await call(`debit-${form}`, { account: `acct-${form}`, amount: 10 });
    expect(answer.statusCode).toBe(409);
    expect(answer.body).toBe(
      `The request with Idempotency-Key header "debit-${form}" conflicts with the current state of what it changes, ` +
        'so nothing was changed. The key is not used up: send the same request again once that state allows it.',
    );
    expect(answer.body).not.toContain(accounts);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toBeInstanceOf(BusinessConditionError);
    expect(logText(logged[0])).toContain(`Update on ${accounts} {"pk":"acct-${form}"}`);
  });

  it('answers a missing key with 400 naming the header, without the developer advice', async () => {
    const { call, logged } = api(form);
    const answer = await call(undefined, { account: 'a', amount: 1 });
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toBe(
      'The request has no usable Idempotency-Key header (it is missing, empty or not text). Send one with a ' +
        'value unique to this operation (a UUID, for example), and the same value when you retry it.',
    );
    expect(logged[0]).toBeInstanceOf(MissingIdempotencyKeyError);
    expect(logText(logged[0])).toContain('Pass a non-empty string key');
  });

  it('answers a reused key with 422 naming the key the caller sent, not the record key', async () => {
    const { call, logged } = api(form);
    await client.send(new PutCommand({ TableName: accounts, Item: { pk: 'rich', balance: 100 } }));
    expect((await call(`k1-${form}`, { account: 'rich', amount: 1 })).statusCode).toBe(200);
    const answer = await call(`k1-${form}`, { account: 'rich', amount: 2 });
    expect(answer.statusCode).toBe(422);
    expect(answer.body).toMatch(
      new RegExp(
        `^The Idempotency-Key header "k1-${form.replace(/[.()]/g, '\\$&')}" was already used for a request with different content \\(first seen \\d{4}-`,
      ),
    );
    expect(answer.body).not.toContain('billing#');
    expect(logText(logged[0])).toContain(`"billing#k1-${form}"`);
  });

  it('shapes the error body with httpErrorBody (JSON answers as application/json)', async () => {
    const { call } = api(form, ({ statusCode, message }) => ({
      type: 'about:blank',
      status: statusCode,
      detail: message,
    }));
    const answer = await call(undefined, { account: 'a', amount: 1 });
    expect(answer.statusCode).toBe(400);
    expect(answer.headers).toMatchObject({ 'Content-Type': 'application/json' });
    expect(JSON.parse(answer.body)).toEqual({
      type: 'about:blank',
      status: 400,
      detail: expect.stringMatching(/^The request has no usable Idempotency-Key header/),
    });
  });
});

describe('headerKey', () => {
  it('reads the header in any case, and refuses an empty name', () => {
    const key = headerKey<{ headers: Record<string, string> }>('Idempotency-Key');
    expect(key({ headers: { 'IDEMPOTENCY-KEY': 'a' } })).toBe('a');
    expect(key({ headers: {} })).toBeUndefined();
    expect(() => headerKey('')).toThrow(/the header name must be a non-empty string/);
    expect(() => headerKey(undefined as never)).toThrow(
      new TypeError('headerKey(): the header name must be a non-empty string (got undefined).'),
    );
  });

  it('reads no key, rather than failing, from an event without headers or no event at all', () => {
    const key = headerKey<{ headers?: Record<string, string> | null }>('Idempotency-Key');
    expect(key({ headers: null })).toBeUndefined();
    expect(key(undefined as never)).toBeUndefined();
  });

  it('keeps the error class and retryable for callers that catch it without Middy', async () => {
    const handler = idempotency({ store, key: headerKey<APIGatewayProxyEvent>('Idempotency-Key') }, async () => 'ok');
    const error = await handler({ headers: {} } as unknown as APIGatewayProxyEvent, lambdaContext()).catch((e) => e);
    expect(error).toBeInstanceOf(MissingIdempotencyKeyError);
    expect(error).toMatchObject({ name: 'MissingIdempotencyKeyError', retryable: false, statusCode: 400 });
    expect(error.stack).toMatch(/^MissingIdempotencyKeyError: The request has no usable Idempotency-Key header/);
  });
});

describe('what the caller is told about the key they sent', () => {
  // built when called: the store exists once beforeAll has run
  const handler = () =>
    idempotency(
      { store, key: headerKey<APIGatewayProxyEvent>('Idempotency-Key'), fingerprint: (event) => event.body },
      async () => 'ok',
    );
  const call = (key: string, body: string) =>
    handler()({ headers: { 'Idempotency-Key': key }, body } as unknown as APIGatewayProxyEvent, lambdaContext());
  const reused = async (key: string) => {
    await call(key, 'first');
    return call(key, 'second').then(
      () => expect.unreachable('a reused key should be refused'),
      (error: Error) => error,
    );
  };

  it.each([
    ['a key of 120 characters whole', `${'k'.repeat(119)}1`, `${'k'.repeat(119)}1`],
    ['a longer key cut to 117 characters and an ellipsis', `${'k'.repeat(120)}2`, `${'k'.repeat(117)}...`],
  ])('quotes %s', async (_, key, quoted) => {
    const error = await reused(key);
    expect(error.message).toMatch(
      new RegExp(`^The Idempotency-Key header "${quoted.replaceAll('.', '\\.')}" was already used for a request`),
    );
  });

  it('leaves out when the key was first seen when its record does not say', async () => {
    // a record written by hand (a migration): a fingerprint, no firstSeenAt
    await client.send(
      new PutCommand({ TableName: dedupTable, Item: { pk: 'billing#migrated-1', fingerprint: 'f'.repeat(64) } }),
    );
    const error = await call('migrated-1', 'again').then(
      () => expect.unreachable('a reused key should be refused'),
      (failure: Error) => failure,
    );
    expect(error).toBeInstanceOf(IdempotencyKeyReuseError);
    expect(error.message).toBe(
      'The Idempotency-Key header "migrated-1" was already used for a request with different content. ' +
        'Send a new key for a new request; a retry must repeat the first request exactly.',
    );
  });

  it('is an ordinary Error: message, cause and stack are not among its fields and can be rewritten or removed', async () => {
    const error = (await reused('ordinary-1')) as Error & Record<string, unknown>;
    expect(Object.keys(error)).toEqual(expect.arrayContaining(['statusCode', 'expose']));
    for (const name of ['message', 'cause', 'stack']) expect(Object.keys(error)).not.toContain(name);
    error.message = `[billing] ${error.message}`;
    expect(error.message).toMatch(/^\[billing\] The Idempotency-Key header "ordinary-1"/);
    delete error.cause;
    delete error.stack;
    expect(error.cause).toBeUndefined();
  });

  it("passes the handler's own errors on as they are, even txonce's from a run of its own", async () => {
    const own = new IdempotencyKeyReuseError('ledger#evt_1', undefined);
    const throwing = idempotency({ store, key: headerKey<APIGatewayProxyEvent>('Idempotency-Key') }, async () => {
      throw own;
    });
    const error = await throwing(
      { headers: { 'Idempotency-Key': 'own-1' } } as unknown as APIGatewayProxyEvent,
      lambdaContext(),
    ).catch((e) => e);
    // not restated for an API caller: the developer's own message, naming the record key
    expect(error).toBe(own);
    expect(error.message).toMatch(/^Idempotency key "ledger#evt_1" was already used/);
  });
});
