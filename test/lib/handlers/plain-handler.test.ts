import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  Context,
  EventBridgeEvent,
} from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Idempotency,
  IdempotencyKeyReuseError,
  idempotency,
  MissingIdempotencyKeyError,
  SchemaValidationError,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { createTable, getItem, localClient } from '../../support/dynamo.js';

// idempotency(options, handler) without Middy: a Lambda handler as it is, for any trigger.

const client = localClient();
let store: Idempotency;
let orders: string;

beforeAll(async () => {
  [orders] = await Promise.all([createTable(client, 'orders')]);
  store = new Idempotency({ client, tableName: await createTable(client, 'dedup'), source: 'plain' });
});

const Order = z.object({ id: z.string(), quantity: z.coerce.number().int().positive() });
type Order = z.infer<typeof Order>;

/** One trigger's event shape: how an event carries the key and the order, and how the wrapper reads them. */
interface Trigger<E> {
  name: string;
  event: (key: string | undefined, order: unknown) => E;
  key: (event: E) => unknown;
  payload: (event: E) => unknown;
}

const apiGatewayRest: Trigger<APIGatewayProxyEvent> = {
  name: 'API Gateway REST (proxy)',
  event: (key, order) =>
    ({
      resource: '/orders',
      path: '/orders',
      httpMethod: 'POST',
      headers: key === undefined ? {} : { 'Idempotency-Key': key },
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      requestContext: {} as APIGatewayProxyEvent['requestContext'],
      body: typeof order === 'string' ? order : JSON.stringify(order),
      isBase64Encoded: false,
    }) satisfies APIGatewayProxyEvent,
  key: (event) => event.headers['Idempotency-Key'],
  payload: (event) => JSON.parse(event.body ?? ''),
};

const apiGatewayHttp: Trigger<APIGatewayProxyEventV2> = {
  name: 'API Gateway HTTP API (payload 2.0)',
  event: (key, order) => ({
    version: '2.0',
    routeKey: 'POST /orders',
    rawPath: '/orders',
    rawQueryString: '',
    headers: key === undefined ? {} : { 'idempotency-key': key },
    requestContext: {} as APIGatewayProxyEventV2['requestContext'],
    body: typeof order === 'string' ? order : JSON.stringify(order),
    isBase64Encoded: false,
  }),
  key: (event) => event.headers['idempotency-key'],
  payload: (event) => JSON.parse(event.body ?? ''),
};

const eventBridge: Trigger<EventBridgeEvent<'OrderPlaced', unknown>> = {
  name: 'EventBridge',
  event: (key, order) => ({
    version: '0',
    id: key as string,
    'detail-type': 'OrderPlaced',
    source: 'shop.orders',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: order,
  }),
  key: (event) => event.id,
  payload: (event) => event.detail,
};

const directInvoke: Trigger<{ requestId?: string; order: unknown }> = {
  name: 'direct invoke',
  event: (key, order) => ({ requestId: key, order }),
  key: (event) => event.requestId,
  payload: (event) => event.order,
};

/** A Step Functions Task state's input: the key made of the execution and state, passed by the state machine. */
const stepFunctionsTask: Trigger<{ execution?: string; state: string; order: unknown }> = {
  name: 'Step Functions task',
  event: (key, order) => ({ execution: key, state: 'PlaceOrder', order }),
  key: (event) => event.execution && `${event.execution}/${event.state}`,
  payload: (event) => event.order,
};

const triggers = [apiGatewayRest, apiGatewayHttp, eventBridge, directInvoke, stepFunctionsTask] as Trigger<unknown>[];

/** The order handler, the same for every trigger: stages the order, returns its id. */
function placeOrder<E>(trigger: Trigger<E>) {
  let runs = 0;
  const handler = idempotency(
    { store, key: trigger.key, fingerprint: trigger.payload, schema: Order, payload: trigger.payload },
    async (_event: E, context) => {
      runs++;
      const order: Order = context.payload;
      context.tx.update({
        TableName: orders,
        Key: { pk: order.id },
        UpdateExpression: 'SET quantity = :q ADD placed :one',
        ExpressionAttributeValues: { ':q': order.quantity, ':one': 1 },
      });
      return { id: order.id, quantity: order.quantity, run: runs };
    },
  );
  return { handler, runs: () => runs };
}

let serial = 0;
const fresh = () => `${++serial}-${Math.random().toString(36).slice(2, 8)}`;

describe.each(triggers)('idempotency(options, handler) as a plain Lambda handler: $name', (trigger) => {
  it('commits the staged write with the first delivery, and replays its result to a repeat without writing again', async () => {
    const { handler } = placeOrder(trigger);
    const key = `k-${fresh()}`;
    const id = `ord-${fresh()}`;
    const context = lambdaContext();

    const first = await handler(trigger.event(key, { id, quantity: '2' }), context);
    const repeatContext = lambdaContext();
    const repeat = await handler(trigger.event(key, { id, quantity: '2' }), repeatContext);

    expect(first).toEqual({ id, quantity: 2, run: 1 });
    expect(repeat).toEqual(first);
    expect((context as Context & { idempotencyStatus?: string }).idempotencyStatus).toBe('committed');
    expect((repeatContext as Context & { idempotencyStatus?: string }).idempotencyStatus).toBe('duplicate');
    expect(await getItem(client, orders, id)).toEqual({ pk: id, quantity: 2, placed: 1 });
  });

  it('throws the same typed errors as with Middy: a missing key (400), a key reused with another payload (422)', async () => {
    const { handler } = placeOrder(trigger);
    const key = `k-${fresh()}`;
    await handler(trigger.event(key, { id: `ord-${fresh()}`, quantity: 1 }), lambdaContext());

    const otherId = `ord-${fresh()}`;
    const reuse = handler(trigger.event(key, { id: otherId, quantity: 1 }), lambdaContext());
    await expect(reuse).rejects.toBeInstanceOf(IdempotencyKeyReuseError);
    await expect(reuse).rejects.toMatchObject({ name: 'IdempotencyKeyReuseError', statusCode: 422 });

    const missingId = `ord-${fresh()}`;
    const missing = handler(trigger.event(undefined, { id: missingId, quantity: 1 }), lambdaContext());
    await expect(missing).rejects.toBeInstanceOf(MissingIdempotencyKeyError);
    await expect(missing).rejects.toMatchObject({ name: 'MissingIdempotencyKeyError', statusCode: 400 });
    expect(await getItem(client, orders, otherId)).toBeUndefined();
    expect(await getItem(client, orders, missingId)).toBeUndefined();
  });

  it('refuses a payload the schema rejects with a SchemaValidationError (400, the issues), running and writing nothing', async () => {
    const { handler, runs } = placeOrder(trigger);
    const id = `ord-${fresh()}`;
    const key = `k-${fresh()}`;

    const invalid = handler(trigger.event(key, { id, quantity: -3 }), lambdaContext());

    await expect(invalid).rejects.toBeInstanceOf(SchemaValidationError);
    await expect(invalid).rejects.toMatchObject({
      name: 'SchemaValidationError',
      statusCode: 400,
      expose: true,
      retryable: false,
      issues: [{ path: ['quantity'], message: expect.any(String) }],
    });
    expect(runs()).toBe(0);
    expect(await getItem(client, orders, id)).toBeUndefined();
    // the key was not spent: the corrected payload under it goes through
    expect(await handler(trigger.event(key, { id, quantity: 3 }), lambdaContext())).toMatchObject({ quantity: 3 });
  });
});

describe('idempotency(options, handler): the same wrapper with and without Middy', () => {
  it('answers an invalid body with the same SchemaValidationError: thrown without Middy, a 400 naming the issue with http-error-handler', async () => {
    const { handler: plain } = placeOrder(apiGatewayRest);
    const withMiddy = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(httpErrorHandler())
      .handler(placeOrder(apiGatewayRest).handler as never);
    const event = apiGatewayRest.event(`k-${fresh()}`, { id: 'x', quantity: 'many' });

    await expect(plain(event, lambdaContext())).rejects.toThrow(SchemaValidationError);
    const response = await withMiddy(event, lambdaContext());
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatch(/^Invalid payload: quantity: /);
  });

  it('treats a body that is not JSON as an invalid payload (400), not a crash (500)', async () => {
    const { handler } = placeOrder(apiGatewayRest);
    const notJson = handler(apiGatewayRest.event(`k-${fresh()}`, '{"id": '), lambdaContext());
    await expect(notJson).rejects.toMatchObject({
      name: 'SchemaValidationError',
      statusCode: 400,
      issues: [{ path: [], message: expect.stringMatching(/^the payload could not be read: /) }],
    });
  });

  it('validates the event itself when no payload function is given, and types context.payload from the schema', async () => {
    const Transfer = z.object({ transferId: z.string(), cents: z.number().int() });
    const handler = idempotency(
      { store, key: (event: { transferId?: string }) => event.transferId, schema: Transfer },
      (_event, context) => {
        const cents: number = context.payload.cents;
        return cents * 2;
      },
    );
    expect(await handler({ transferId: `t-${fresh()}`, cents: 21 } as never, lambdaContext())).toBe(42);
    await expect(handler({ transferId: `t-${fresh()}`, cents: 1.5 } as never, lambdaContext())).rejects.toThrow(
      /Invalid payload: cents: /,
    );
    expect(() => idempotency({ store, key: () => 'k', schema: { parse: () => 1 } as never }, () => 1)).toThrow(
      /idempotency\(\): `schema` must be a Standard Schema/,
    );
  });
});
