import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, EventBridgeEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Idempotency,
  IdempotencyKeyReuseError,
  type IdempotentContext,
  idempotency,
  MissingIdempotencyKeyError,
} from '../lib/index.js';
import { lambdaContext } from '../local/lambda-context.js';
import { createTable, getItem, localClient } from './support/dynamo.js';
import { instrument } from './support/faults.js';

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
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, IdempotentContext>().handler(
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
  );
  handler.use(
    idempotency<APIGatewayProxyEvent>({
      store,
      key: (event) => event.headers['Idempotency-Key'],
      fingerprint: (event) => JSON.parse(event.body ?? 'null'),
    }),
  );
  return { handler, runs: () => runs };
}

describe('idempotency() Middy middleware', () => {
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
    const handler = middy<EventBridgeEvent<'invoice.paid', { invoice: string }>, void, Error, IdempotentContext>()
      .use(idempotency({ store, key: (event: EventBridgeEvent<string, unknown>) => event.id }))
      .handler(async (event, context) => {
        context.tx.put({ TableName: orders, Item: { pk: event.detail.invoice } });
        if (failOnce) {
          failOnce = false;
          throw new Error('downstream timeout');
        }
      });
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
    const handler = middy<{ id: string }, void, Error, IdempotentContext>()
      .use(idempotency({ store, key: (event: { id: string }) => event.id }))
      .handler(async (_event, context) => {
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

  it("stores the handler's own response when used nearest the handler, so outer middlewares shape both alike", async () => {
    const serializeBody = {
      after: (request: { response: { statusCode: number; body: unknown } | null }) => {
        if (request.response) request.response = { ...request.response, body: JSON.stringify(request.response.body) };
      },
    };
    const handler = middy<{ id: string }, { statusCode: number; body: unknown }, Error, IdempotentContext>()
      .use(serializeBody)
      .use(idempotency({ store, key: (event: { id: string }) => event.id }))
      .handler(async (event) => ({ statusCode: 200, body: { echo: event.id } }));

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
    expect(() => idempotency({ store, key: 'header' as never })).toThrow(/`key` must be a function/);
    expect(() => idempotency({ store: {} as never, key: () => 'k' })).toThrow(/`store` must be an Idempotency/);
  });
});
