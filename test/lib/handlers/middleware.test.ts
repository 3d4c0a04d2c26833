import { PutCommand } from '@aws-sdk/lib-dynamodb';
import middy, { type MiddlewareObj } from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpResponseSerializer from '@middy/http-response-serializer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, EventBridgeEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Idempotency,
  IdempotencyKeyReuseError,
  type IdempotentContext,
  idempotency,
  MissingIdempotencyKeyError,
  TransactionLimitError,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { createTable, getItem, localClient } from '../../support/dynamo.js';
import { instrument } from '../../support/faults.js';
import { slowTransfer } from '../../support/slow-transfer.js';

const client = localClient();
const calls = instrument(client);
let dedupTable: string;
let orders: string;
let store: Idempotency;

beforeAll(async () => {
  [dedupTable, orders] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'orders')]);
  store = new Idempotency({ client, tableName: dedupTable, source: 'api' });
});

/** Lambda passes a plain context; the middleware adds `tx` before the handler sees it. */
const invocationContext = () => lambdaContext() as IdempotentContext;

function apiEvent(idempotencyKey: string | undefined, body: object): APIGatewayProxyEvent {
  return {
    body: JSON.stringify(body),
    headers: idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey },
    httpMethod: 'POST',
    path: '/orders',
  } as unknown as APIGatewayProxyEvent;
}

/** An order API: creates the order and counts it on the customer, once per Idempotency-Key. */
function orderApi() {
  let runs = 0;
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>().handler(
    idempotency(
      {
        store,
        key: (event: APIGatewayProxyEvent) => event.headers['Idempotency-Key'],
        fingerprint: (event) => JSON.parse(event.body ?? 'null'),
      },
      async (event, context) => {
        runs++;
        const order = JSON.parse(event.body ?? '{}');
        context.tx.put({ TableName: orders, Item: { pk: order.id, item: order.item } });
        context.tx.update({
          TableName: orders,
          Key: { pk: `customer#${order.customer}` },
          UpdateExpression: 'ADD orderCount :one',
          ExpressionAttributeValues: { ':one': 1 },
        });
        return { statusCode: 201, body: JSON.stringify({ id: order.id, run: runs }) };
      },
    ),
  );
  return { handler, runs: () => runs };
}

describe('idempotency(options, handler)', () => {
  it('commits the staged writes with the dedup record in one call, and replays the first response to a repeat', async () => {
    const api = orderApi();
    calls.reset();
    const first = await api.handler(
      apiEvent('key-1', { id: 'ord-1', customer: 'c1', item: 'book' }),
      invocationContext(),
    );
    expect(calls.sent).toEqual({ TransactWriteItems: 1 });

    calls.reset();
    const repeat = await api.handler(
      apiEvent('key-1', { id: 'ord-1', customer: 'c1', item: 'book' }),
      invocationContext(),
    );
    expect(calls.sent).toEqual({ TransactWriteItems: 1 });

    expect(first).toEqual({ statusCode: 201, body: JSON.stringify({ id: 'ord-1', run: 1 }) });
    expect(repeat).toEqual(first);
    expect(await getItem(client, orders, 'customer#c1')).toMatchObject({ orderCount: 1 });
  });

  it('tells the caller, on the context, whether the delivery committed or was a duplicate', async () => {
    const api = orderApi();
    const event = apiEvent('key-status', { id: 'ord-s', customer: 'cs', item: 'map' });
    const first = invocationContext();
    await api.handler(event, first);
    const second = invocationContext();
    await api.handler(event, second);
    expect([first.idempotencyStatus, second.idempotencyStatus]).toEqual(['committed', 'duplicate']);
  });

  it('refuses the same key with another body as IdempotencyKeyReuseError, writing nothing', async () => {
    const api = orderApi();
    await api.handler(apiEvent('key-2', { id: 'ord-2', customer: 'c2', item: 'pen' }), invocationContext());
    const error = await api
      .handler(apiEvent('key-2', { id: 'ord-2b', customer: 'c2', item: 'car' }), invocationContext())
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(IdempotencyKeyReuseError);
    expect(await getItem(client, orders, 'ord-2b')).toBeUndefined();
    expect(await getItem(client, orders, 'customer#c2')).toMatchObject({ orderCount: 1 });
  });

  it('refuses an event without a key before the handler runs', async () => {
    const api = orderApi();
    const error = await api
      .handler(apiEvent(undefined, { id: 'ord-3', customer: 'c3', item: 'cup' }), invocationContext())
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(MissingIdempotencyKeyError);
    expect(api.runs()).toBe(0);
  });

  it('writes nothing when the handler throws, so the same event succeeds when retried', async () => {
    let failOnce = true;
    type InvoicePaid = EventBridgeEvent<'invoice.paid', { invoice: string }>;
    const handler = middy<InvoicePaid, void>().handler(
      idempotency({ store, key: (event: InvoicePaid) => event.id }, async (event, context) => {
        context.tx.put({ TableName: orders, Item: { pk: event.detail.invoice } });
        if (failOnce) {
          failOnce = false;
          throw new Error('downstream timeout');
        }
      }),
    );
    const event = { id: 'eb-1', detail: { invoice: 'inv-eb-1' } } as EventBridgeEvent<
      'invoice.paid',
      { invoice: string }
    >;

    await expect(handler(event, invocationContext())).rejects.toThrow('downstream timeout');
    expect(await getItem(client, orders, 'inv-eb-1')).toBeUndefined();
    expect(await getItem(client, dedupTable, 'api#eb-1')).toBeUndefined();

    await handler(event, invocationContext());
    expect(await getItem(client, orders, 'inv-eb-1')).toBeDefined();
  });

  it('deduplicates a handler that returns nothing', async () => {
    let runs = 0;
    const handler = idempotency({ store, key: (event: { id: string }) => event.id }, async (_event, context) => {
      runs++;
      context.tx.update({
        TableName: orders,
        Key: { pk: 'void-counter' },
        UpdateExpression: 'ADD applied :one',
        ExpressionAttributeValues: { ':one': 1 },
      });
    });

    expect(await handler({ id: 'void-1' }, invocationContext())).toBeUndefined();
    expect(await handler({ id: 'void-1' }, invocationContext())).toBeUndefined();
    expect(runs).toBe(2);
    expect(await getItem(client, orders, 'void-counter')).toMatchObject({ applied: 1 });
  });

  it("stores the handler's own response, so the middlewares around it shape first and repeated responses alike", async () => {
    const serializeBody = {
      after: (request: { response: { statusCode: number; body: unknown } | null }) => {
        if (request.response) request.response = { ...request.response, body: JSON.stringify(request.response.body) };
      },
    };
    const handler = middy<{ id: string }, { statusCode: number; body: unknown }>()
      .use(serializeBody)
      .handler(
        idempotency({ store, key: (event: { id: string }) => event.id }, async (event) => ({
          statusCode: 200,
          body: { echo: event.id },
        })),
      );

    const first = await handler({ id: 'shape-1' }, invocationContext());
    const repeat = await handler({ id: 'shape-1' }, invocationContext());
    expect(first).toEqual({ statusCode: 200, body: '{"echo":"shape-1"}' });
    expect(repeat).toEqual(first);
    expect(JSON.parse(String((await getItem(client, dedupTable, 'api#shape-1'))?.result))).toEqual({
      statusCode: 200,
      body: { echo: 'shape-1' },
    });
  });

  it('refuses bad options at construction', () => {
    const handler = async () => undefined;
    expect(() => idempotency({ store, key: 'header' as never }, handler)).toThrow(/`key` must be a function/);
    expect(() => idempotency({ store: {} as never, key: () => 'k' }, handler)).toThrow(
      /`store` must be an Idempotency/,
    );
    expect(() => idempotency({ store, key: () => 'k' }, 'handler' as never)).toThrow(
      /`handler` must be a function .* or idempotency\(options\) to \.use\(\) it/,
    );
  });
});

/**
 * A Middy handler built on txonce: `around` are the app's middlewares (outermost first), `inner`
 * the ones used last, nearest the handler (where, as a middleware, txonce had them between
 * itself and the handler).
 */
function wire<TEvent, TResult>(
  around: MiddlewareObj<TEvent, TResult, Error, IdempotentContext>[],
  options: { store: Idempotency; key: (event: TEvent) => unknown; fingerprint?: (event: TEvent) => unknown },
  handler: (event: TEvent, context: IdempotentContext) => Promise<TResult>,
  inner: MiddlewareObj<TEvent, TResult, Error, IdempotentContext>[] = [],
  plugin?: Record<string, unknown>,
) {
  const app = middy<TEvent, TResult, Error, IdempotentContext>(plugin);
  for (const middleware of [...around, ...inner]) app.use(middleware);
  // for a generic TResult, TypeScript cannot know that a repeat's Jsonified<TResult> is a TResult
  return app.handler(idempotency(options, handler) as never);
}

type HttpResponse = { statusCode: number; headers?: Record<string, string>; body: unknown };

/** An API built the usual Middy way: JSON body in, serializer and a header out, txonce inside. */
function jsonApi(idempotencyStore: Idempotency) {
  let runs = 0;
  const addHeader: MiddlewareObj<APIGatewayProxyEvent, HttpResponse, Error, IdempotentContext> = {
    after: async (request) => {
      const response = request.response as HttpResponse;
      request.response = { ...response, headers: { ...response.headers, 'x-served-by': 'orders' } };
    },
  };
  const handler = wire<APIGatewayProxyEvent, HttpResponse>(
    [
      httpErrorHandler({ logger: false }) as never,
      httpResponseSerializer({
        serializers: [{ regex: /^application\/json$/, serializer: ({ body }) => JSON.stringify(body) }],
        defaultContentType: 'application/json',
      }) as never,
      addHeader,
      httpJsonBodyParser() as never,
    ],
    {
      store: idempotencyStore,
      key: (event) => event.headers['Idempotency-Key'],
      fingerprint: (event) => event.body,
    },
    async (event, context) => {
      runs++;
      const order = event.body as unknown as { id: string };
      context.tx.put({ TableName: orders, Item: { pk: order.id } });
      return { statusCode: 201, body: { id: order.id } };
    },
  );
  const call = (key: string | undefined, body: object) =>
    handler(
      {
        body: JSON.stringify(body),
        headers: {
          'Content-Type': 'application/json',
          ...(key === undefined ? {} : { 'Idempotency-Key': key }),
        },
      } as unknown as APIGatewayProxyEvent,
      invocationContext(),
    ) as Promise<HttpResponse>;
  return { call, runs: () => runs };
}

describe('idempotency() among other Middy middlewares', () => {
  it.each([
    ['by the transaction', {}],
    ['by precheck', { precheck: true }],
    ['by the cache', { cache: true }],
  ])(
    'answers a duplicate found %s exactly like the first delivery (body serialized, headers added)',
    async (_, mode) => {
      const modeStore = new Idempotency({
        client,
        tableName: dedupTable,
        source: `shape-${Object.keys(mode)[0] ?? 'tx'}`,
        ...mode,
      });
      const api = jsonApi(modeStore);
      const first = await api.call('shape-a', { id: 'ord-shape' });
      const repeat = await api.call('shape-a', { id: 'ord-shape' });
      expect(first).toEqual({
        statusCode: 201,
        headers: { 'Content-Type': 'application/json', 'x-served-by': 'orders' },
        body: '{"id":"ord-shape"}',
      });
      expect(repeat).toEqual(first);
    },
  );

  it('answers 400 to a missing key and 422 to a key reused with another payload, through @middy/http-error-handler', async () => {
    const api = jsonApi(store);
    const missing = await api.call(undefined, { id: 'ord-nokey' });
    await api.call('reuse-http', { id: 'ord-r1' });
    const reused = await api.call('reuse-http', { id: 'ord-r2' });
    expect(missing.statusCode).toBe(400);
    expect(String(missing.body)).toMatch(/^The request has no usable idempotency key/);
    expect(reused.statusCode).toBe(422);
    expect(String(reused.body)).toMatch(
      /^The idempotency key "reuse-http" was already used for a request with different content/,
    );
    expect(await getItem(client, orders, 'ord-r2')).toBeUndefined();
    expect(api.runs()).toBe(2);
  });

  it('commits the staged writes even when a middleware nearer the handler answers early from `after`', async () => {
    const answersEarly: MiddlewareObj<{ id: string }, { ok: boolean }, Error, IdempotentContext> = {
      after: async (request) => request.response ?? undefined,
    };
    const handler = wire<{ id: string }, { ok: boolean }>(
      [],
      { store, key: (event) => event.id },
      async (event, context) => {
        context.tx.put({ TableName: orders, Item: { pk: `early-${event.id}` } });
        return { ok: true };
      },
      [answersEarly],
    );
    const context = invocationContext();
    expect(await handler({ id: 'e1' }, context)).toEqual({ ok: true });
    expect(context.idempotencyStatus).toBe('committed');
    expect(await getItem(client, orders, 'early-e1')).toBeDefined();
    expect(await getItem(client, dedupTable, 'api#e1')).toBeDefined();
  });

  it('never commits for a handler still running when Middy answers its early timeout', async () => {
    const transfer = slowTransfer(orders);
    const handler = wire<{ id: string }, { statusCode: number }>(
      [],
      { store, key: (event) => event.id },
      transfer.handler,
      [],
      { timeoutEarlyInMillis: 20, timeoutEarlyResponse: () => ({ statusCode: 504 }) },
    );

    expect(await handler({ id: 'slow-1' }, lambdaContext(60) as IdempotentContext)).toEqual({ statusCode: 504 });
    transfer.downstream.open();
    await transfer.settled.done;
    await new Promise((resolve) => setImmediate(resolve));
    expect(transfer.state.lateError).toBeUndefined();
    expect(await getItem(client, orders, 'debit-slow-1')).toBeUndefined();
    expect(await getItem(client, orders, 'credit-slow-1')).toBeUndefined();
    expect(await getItem(client, dedupTable, 'api#slow-1')).toBeUndefined();

    // the caller retries with time to spare: both writes commit together
    const retry = wire<{ id: string }, { statusCode: number }>(
      [],
      { store, key: (event) => event.id },
      async (event, context) => {
        context.tx.put({ TableName: orders, Item: { pk: `debit-${event.id}` } });
        context.tx.put({ TableName: orders, Item: { pk: `credit-${event.id}` } });
        return { statusCode: 201 };
      },
    );
    expect(await retry({ id: 'slow-1' }, invocationContext())).toEqual({ statusCode: 201 });
    expect(await getItem(client, orders, 'credit-slow-1')).toBeDefined();
  });

  it('refuses, with a TransactionLimitError, to answer a repeat whose first result was too large to store', async () => {
    const small = new Idempotency({ client, tableName: dedupTable, source: 'api-small', maxResultBytes: 16 });
    const handler = idempotency({ store: small, key: (event: { id: string }) => event.id }, async () => ({
      statusCode: 200,
      body: 'x'.repeat(64),
    }));
    expect(await handler({ id: 'big-1' }, invocationContext())).toMatchObject({ statusCode: 200 });
    const error = await handler({ id: 'big-1' }, invocationContext()).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(TransactionLimitError);
    const advice =
      'whose result was too large to store, so it cannot be replayed. Return a smaller result, ' +
      'or set resultTooLarge: "error" on the store to refuse oversized results on the first delivery.';
    expect((error as Error).message).toMatch(/^This repeats a delivery first seen \d{4}-\d\d-\d\dT\S+ whose result/);
    expect((error as Error).message).toContain(advice);

    // a record written by hand (a migration, an older writer) may not say when it was first seen
    await client.send(new PutCommand({ TableName: dedupTable, Item: { pk: 'api-small#big-2', resultOmitted: true } }));
    await expect(handler({ id: 'big-2' }, invocationContext())).rejects.toThrow(`This repeats a delivery ${advice}`);
  });

  it('replays a null response as null', async () => {
    const handler = wire<{ id: string }, null>([], { store, key: (event) => event.id }, async () => null);
    expect(await handler({ id: 'null-1' }, invocationContext())).toBeNull();
    const repeat = invocationContext();
    expect(await handler({ id: 'null-1' }, repeat)).toBeNull();
    expect(repeat.idempotencyStatus).toBe('duplicate');
  });
});
