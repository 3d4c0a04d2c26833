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
  type IdempotentContext,
  idempotency,
  MissingIdempotencyKeyError,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { createTable, localClient } from '../../support/dynamo.js';

const client = localClient();
let accounts: string;
let store: Idempotency;

beforeAll(async () => {
  let dedupTable: string;
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
  });

  it('keeps the error class and retryable for callers that catch it without Middy', async () => {
    const handler = idempotency({ store, key: headerKey<APIGatewayProxyEvent>('Idempotency-Key') }, async () => 'ok');
    const error = await handler({ headers: {} } as unknown as APIGatewayProxyEvent, lambdaContext()).catch((e) => e);
    expect(error).toBeInstanceOf(MissingIdempotencyKeyError);
    expect(error).toMatchObject({ name: 'MissingIdempotencyKeyError', retryable: false, statusCode: 400 });
    expect(error.stack).toMatch(/^MissingIdempotencyKeyError: The request has no usable Idempotency-Key header/);
  });
});
