import { PutCommand } from '@aws-sdk/lib-dynamodb';
import middy, { type MiddlewareObj } from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpResponseSerializer from '@middy/http-response-serializer';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BusinessConditionError,
  Idempotency,
  IdempotencyKeyReuseError,
  type IdempotentContext,
  idempotency,
  MiddlewareOrderError,
  NoTimeToCommitError,
  SchemaValidationError,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { createTable, getItem, localClient } from '../../support/dynamo.js';
import { instrument } from '../../support/faults.js';
import { slowTransfer } from '../../support/slow-transfer.js';

const client = localClient();
const calls = instrument(client);
let dedupTable: string;
let orders: string;
let outboxTable: string;
let store: Idempotency;

beforeAll(async () => {
  [dedupTable, orders, outboxTable] = await Promise.all([
    createTable(client, 'dedup'),
    createTable(client, 'orders'),
    createTable(client, 'outbox'),
  ]);
  store = new Idempotency({ client, tableName: dedupTable, source: 'use' });
});

const invocationContext = () => lambdaContext() as IdempotentContext;
type Order = { id: string };
type Answer = { statusCode: number; body: unknown; headers?: Record<string, string> };

/** Stages one order put and one counter increment: applied twice, the counter says 2. */
function stageOrder(context: IdempotentContext, id: string) {
  context.tx.put({ TableName: orders, Item: { pk: id } });
  context.tx.update({
    TableName: orders,
    Key: { pk: `count#${id}` },
    UpdateExpression: 'ADD applied :one',
    ExpressionAttributeValues: { ':one': 1 },
  });
}

const appliedCount = async (id: string) => (await getItem(client, orders, `count#${id}`))?.applied;

function apiEvent(key: string | undefined, body: object): APIGatewayProxyEvent {
  return {
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...(key === undefined ? {} : { 'Idempotency-Key': key }) },
  } as unknown as APIGatewayProxyEvent;
}

describe('middy(handler).use(idempotency(options))', () => {
  it('deduplicates a handler that returns nothing: the writes apply once, the repeat is a duplicate', async () => {
    const handler = middy(async (event: Order, context: IdempotentContext) => {
      stageOrder(context, event.id);
    }).use(idempotency({ store, key: (event: Order) => event.id }));

    const first = invocationContext();
    const repeat = invocationContext();
    expect(await handler({ id: 'void-1' }, first)).toBeUndefined();
    expect(await handler({ id: 'void-1' }, repeat)).toBeUndefined();
    expect([first.idempotencyStatus, repeat.idempotencyStatus]).toEqual(['committed', 'duplicate']);
    expect(await appliedCount('void-1')).toBe(1);
  });

  it("replays the first delivery's result to a repeat, in one TransactWriteItems per delivery", async () => {
    let runs = 0;
    const handler = middy(async (event: Order, context: IdempotentContext) => {
      runs++;
      stageOrder(context, event.id);
      return { id: event.id, run: runs };
    }).use(idempotency({ store, key: (event: Order) => event.id }));

    calls.reset();
    const first = await handler({ id: 'replay-1' }, invocationContext());
    const repeat = await handler({ id: 'replay-1' }, invocationContext());
    expect(first).toEqual({ id: 'replay-1', run: 1 });
    expect(repeat).toEqual(first);
    expect(calls.sent).toEqual({ TransactWriteItems: 2 });
    expect(await appliedCount('replay-1')).toBe(1);
  });

  it('replays null as null', async () => {
    const handler = middy(async (_event: Order, _context: IdempotentContext) => null).use(
      idempotency({ store, key: (event: Order) => event.id }),
    );
    expect(await handler({ id: 'null-1' }, invocationContext())).toBeNull();
    expect(await handler({ id: 'null-1' }, invocationContext())).toBeNull();
  });

  it('shares records with the wrapper: a delivery committed by either form is a duplicate for the other', async () => {
    const options = { store, key: (event: Order) => event.id, fingerprint: (event: Order) => event };
    const work = async (event: Order, context: IdempotentContext) => {
      stageOrder(context, event.id);
      return { accepted: event.id };
    };
    const wrapped = idempotency(options, work);
    const used = middy(work).use(idempotency(options));

    expect(await wrapped({ id: 'cross-1' }, invocationContext())).toEqual({ accepted: 'cross-1' });
    const viaMiddleware = invocationContext();
    expect(await used({ id: 'cross-1' }, viaMiddleware)).toEqual({ accepted: 'cross-1' });
    expect(viaMiddleware.idempotencyStatus).toBe('duplicate');

    expect(await used({ id: 'cross-2' }, invocationContext())).toEqual({ accepted: 'cross-2' });
    const viaWrapper = invocationContext();
    expect(await wrapped({ id: 'cross-2' }, viaWrapper)).toEqual({ accepted: 'cross-2' });
    expect(viaWrapper.idempotencyStatus).toBe('duplicate');

    expect([await appliedCount('cross-1'), await appliedCount('cross-2')]).toEqual([1, 1]);
    // the same fingerprint rule on both sides
    const reused = await used({ id: 'cross-1', other: true } as Order, invocationContext()).catch((e) => e);
    expect(reused).toBeInstanceOf(IdempotencyKeyReuseError);
  });

  it('drops the staged writes when the handler throws, so a retry applies them', async () => {
    let fail = true;
    const handler = middy(async (event: Order, context: IdempotentContext) => {
      stageOrder(context, event.id);
      if (fail) throw new Error('downstream timeout');
    }).use(idempotency({ store, key: (event: Order) => event.id }));

    await expect(handler({ id: 'throw-1' }, invocationContext())).rejects.toThrow('downstream timeout');
    expect(await getItem(client, dedupTable, 'use#throw-1')).toBeUndefined();
    expect(await appliedCount('throw-1')).toBeUndefined();
    fail = false;
    await handler({ id: 'throw-1' }, invocationContext());
    expect(await appliedCount('throw-1')).toBe(1);
  });

  it.each([
    ['before it', 'parser-first'],
    ['after it', 'parser-last'],
  ])('keeps the key and fingerprint it read, with a body parser used %s', async (_, where) => {
    const idempotent = idempotency({
      store,
      key: (event: APIGatewayProxyEvent) => event.headers['Idempotency-Key'],
      fingerprint: (event) => event.body,
    });
    const app = middy(async (event: APIGatewayProxyEvent, context: IdempotentContext) => {
      const order = event.body as unknown as Order; // parsed by the body parser
      stageOrder(context, order.id);
      return { statusCode: 201, body: JSON.stringify({ id: order.id }) };
    });
    const handler =
      where === 'parser-first'
        ? app.use(httpJsonBodyParser()).use(idempotent)
        : app.use(idempotent).use(httpJsonBodyParser());

    const first = await handler(apiEvent(`${where}-k`, { id: `${where}-o` }), invocationContext());
    const repeat = await handler(apiEvent(`${where}-k`, { id: `${where}-o` }), invocationContext());
    expect(repeat).toEqual(first);
    expect(await appliedCount(`${where}-o`)).toBe(1);
    const other = await handler(apiEvent(`${where}-k`, { id: `${where}-other` }), invocationContext()).catch((e) => e);
    expect(other).toBeInstanceOf(IdempotencyKeyReuseError);
  });

  it('validates the payload with a schema before the handler runs, and hands it over as context.payload', async () => {
    let runs = 0;
    const schema = z.object({ id: z.string(), quantity: z.coerce.number().int().positive() });
    const handler = middy(async (event: Order, context: IdempotentContext<z.infer<typeof schema>>) => {
      runs++;
      stageOrder(context, event.id);
      return { quantity: context.payload.quantity };
    }).use(idempotency({ store, key: (event: Order) => event.id, schema }));

    const context = () => invocationContext() as IdempotentContext<never>; // Lambda passes no payload: before sets it
    const invalid = await handler({ id: 'schema-1', quantity: 'none' } as Order, context()).catch((e) => e);
    expect(invalid).toBeInstanceOf(SchemaValidationError);
    expect(runs).toBe(0);
    expect(await getItem(client, dedupTable, 'use#schema-1')).toBeUndefined();
    expect(await handler({ id: 'schema-1', quantity: '3' } as Order, context())).toEqual({ quantity: 3 });
  });

  it('commits nothing, and leaves the key unspent, when a middleware used after it answers early from `before`', async () => {
    let warm = true;
    const warmup: MiddlewareObj = { before: () => (warm ? 'warmed' : undefined) };
    const handler = middy(async (event: Order, context: IdempotentContext) => {
      stageOrder(context, event.id);
      return 'applied';
    })
      .use(idempotency({ store, key: (event: Order) => event.id }))
      .use(warmup);

    expect(await handler({ id: 'warm-1' }, invocationContext())).toBe('warmed');
    expect(await getItem(client, dedupTable, 'use#warm-1')).toBeUndefined();
    warm = false;
    expect(await handler({ id: 'warm-1' }, invocationContext())).toBe('applied');
    expect(await appliedCount('warm-1')).toBe(1);
  });

  it('does nothing in onError when an earlier middleware threw before its `before` ran', async () => {
    const refuses: MiddlewareObj = {
      before: () => {
        throw Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, expose: true });
      },
    };
    const handler = middy(async (_event: Order, _context: IdempotentContext) => ({ statusCode: 200 }))
      .use(httpErrorHandler({ logger: false }))
      .use(refuses)
      .use(idempotency({ store, key: (event: Order) => event.id }));
    expect(await handler({ id: 'early-error' }, invocationContext())).toMatchObject({
      statusCode: 415,
      body: 'Unsupported Media Type',
    });
  });
});

/** The usual API stack: errors, serializer and a header outside, idempotency() last. */
function servedApi(apiStore: Idempotency, inner: MiddlewareObj[] = []) {
  let runs = 0;
  const addHeader: MiddlewareObj = {
    after: (request) => {
      request.response = { ...request.response, headers: { ...request.response.headers, 'x-served-by': 'orders' } };
    },
  };
  const handler = middy(async (event: APIGatewayProxyEvent, context: IdempotentContext) => {
    runs++;
    const order = event.body as unknown as Order;
    stageOrder(context, order.id);
    return { statusCode: 201, body: { id: order.id } };
  })
    .use(httpErrorHandler({ logger: false }))
    .use(
      httpResponseSerializer({
        serializers: [{ regex: /^application\/json$/, serializer: ({ body }) => JSON.stringify(body) }],
        defaultContentType: 'application/json',
      }),
    )
    .use(addHeader)
    .use(httpJsonBodyParser())
    .use(
      idempotency({
        store: apiStore,
        key: (event: APIGatewayProxyEvent) => event.headers['Idempotency-Key'],
        fingerprint: (event) => event.body,
      }),
    );
  for (const middleware of inner) handler.use(middleware);
  const call = (key: string, body: Order) => handler(apiEvent(key, body), invocationContext()) as Promise<Answer>;
  return { call, runs: () => runs };
}

describe('idempotency(options) in a Middy stack: where Middy would skip its commit', () => {
  it.each([
    ['by the transaction', {}, { TransactWriteItems: 1 }],
    ['by precheck', { precheck: true }, { GetItem: 1 }],
    ['by the cache', { cache: true }, {}],
  ])(
    'answers a duplicate found %s through every `after`, like the first delivery, writing nothing again',
    async (_, mode, repeatCalls) => {
      const source = `use-${Object.keys(mode)[0] ?? 'tx'}`;
      const api = servedApi(new Idempotency({ client, tableName: dedupTable, source, ...mode }));
      const first = await api.call(`${source}-k`, { id: `${source}-o` });
      calls.reset();
      const repeat = await api.call(`${source}-k`, { id: `${source}-o` });
      expect(first).toEqual({
        statusCode: 201,
        headers: { 'Content-Type': 'application/json', 'x-served-by': 'orders' },
        body: JSON.stringify({ id: `${source}-o` }),
      });
      expect(repeat).toEqual(first);
      // a known duplicate skips the transaction; Middy cannot skip the handler without skipping every `after`
      expect(calls.sent).toEqual(repeatCalls);
      expect(api.runs()).toBe(2);
      expect(await appliedCount(`${source}-o`)).toBe(1);
    },
  );

  it('refuses, and commits nothing, when a middleware used after it answers early from `after`; then refuses before the handler runs', async () => {
    const answersEarly: MiddlewareObj = { after: (request) => request.response };
    const misplacedStore = new Idempotency({ client, tableName: dedupTable, source: 'use-misplaced' });
    const api = servedApi(misplacedStore, [answersEarly]);

    const refused = await api.call('misplaced-k', { id: 'misplaced-o' });
    expect(refused.statusCode).toBe(500); // not a 201 for writes that never committed
    expect(await getItem(client, dedupTable, 'use-misplaced#misplaced-k')).toBeUndefined();
    expect(await appliedCount('misplaced-o')).toBeUndefined();

    const handler = middy(async (_event: Order, context: IdempotentContext) => {
      stageOrder(context, 'misplaced-direct');
      return { ok: true };
    })
      .use(idempotency({ store: misplacedStore, key: (event: Order) => event.id }))
      .use(answersEarly);
    await expect(handler({ id: 'misplaced-direct' }, invocationContext())).rejects.toThrow(MiddlewareOrderError);
    // once seen, every later request is refused before its handler runs
    expect(api.runs()).toBe(1);
    await expect(api.call('misplaced-k2', { id: 'misplaced-o2' })).resolves.toMatchObject({ statusCode: 500 });
    expect(api.runs()).toBe(1);
  });

  it('names the wrapper when it refuses a middleware nearer the handler that changes the answer', async () => {
    const rewrites: MiddlewareObj = {
      after: (request) => {
        request.response = { ...request.response, rewritten: true };
      },
    };
    const handler = middy(async (_event: Order, _context: IdempotentContext) => ({ ok: true }))
      .use(idempotency({ store, key: (event: Order) => event.id }))
      .use(rewrites);
    const error = await handler({ id: 'rewrite-1' }, invocationContext()).catch((e) => e);
    expect(error).toBeInstanceOf(MiddlewareOrderError);
    expect(error.message).toContain('must be used last');
    expect(error.message).toContain('middy().use(...).handler(idempotency(options, handler))');
    expect(await getItem(client, dedupTable, 'use#rewrite-1')).toBeUndefined();
  });

  it("commits nothing when Middy's early timeout answers while the handler still runs", async () => {
    const transfer = slowTransfer(orders);
    const handler = middy(transfer.handler, { timeoutEarlyInMillis: 20 }).use(
      idempotency({ store, key: (event: Order) => event.id }),
    );

    await expect(handler({ id: 'slow-1' }, lambdaContext(60) as IdempotentContext)).rejects.toThrow(/aborted/);
    transfer.downstream.open();
    await transfer.settled.done;
    await new Promise((resolve) => setImmediate(resolve));
    expect(await getItem(client, orders, 'debit-slow-1')).toBeUndefined();
    expect(await getItem(client, dedupTable, 'use#slow-1')).toBeUndefined();
  });

  it("commits nothing when Middy's early timeout answers (a timeoutEarlyResponse that returns) with too little time left to commit", async () => {
    const transfer = slowTransfer(orders);
    const handler = middy(transfer.handler, {
      timeoutEarlyInMillis: 20,
      timeoutEarlyResponse: () => ({ statusCode: 504 }),
    }).use(idempotency({ store, key: (event: Order) => event.id }));

    // Middy answers 504 with 20 ms left while the handler still runs: under the 200 ms a commit needs
    const error = await handler({ id: 'late-0' }, lambdaContext(60) as IdempotentContext).catch((e) => e);
    expect(error).toBeInstanceOf(NoTimeToCommitError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('middy().use(...).handler(idempotency(options, handler))');
    transfer.downstream.open();
    await transfer.settled.done;
    expect(await getItem(client, orders, 'debit-late-0')).toBeUndefined();
    expect(await getItem(client, dedupTable, 'use#late-0')).toBeUndefined();

    // nothing was spent: the redelivery runs the handler and commits
    const again = middy(async (_event: Order, context: IdempotentContext) => {
      context.tx.put({ TableName: orders, Item: { pk: 'debit-late-0' } });
      return { statusCode: 201 };
    }).use(idempotency({ store, key: (event: Order) => event.id }));
    expect(await again({ id: 'late-0' }, invocationContext())).toEqual({ statusCode: 201 });
    expect(await getItem(client, dedupTable, 'use#late-0')).toBeDefined();
  });

  it('refuses every later request once a handler Middy answered early, with time left to commit, stages a write', async () => {
    const transfer = slowTransfer(orders);
    const handler = middy(transfer.handler, {
      timeoutEarlyInMillis: 300,
      timeoutEarlyResponse: () => ({ statusCode: 504 }),
    }).use(idempotency({ store, key: (event: Order) => event.id }));

    // Middy answers 504 with 300 ms left while the handler still runs: a middleware cannot tell that answer from the handler's
    expect(await handler({ id: 'late-1' }, lambdaContext(600) as IdempotentContext)).toEqual({ statusCode: 504 });
    transfer.downstream.open();
    await transfer.settled.done;
    expect(transfer.state.lateError).toBeInstanceOf(MiddlewareOrderError);
    expect(await getItem(client, orders, 'credit-late-1')).toBeUndefined();

    const refused = await handler({ id: 'late-2' }, invocationContext()).catch((e) => e);
    expect(refused).toBeInstanceOf(MiddlewareOrderError);
    expect(refused.reason).toBe('late-write');
    expect(refused.message).toContain('middy().use(...).handler(idempotency(options, handler))');
    expect(transfer.state.runs).toBe(1);
  });
});

describe('idempotency(options) in a Middy stack: the middlewares around it', () => {
  it("fails the request with an inner middleware's own error when its `after` throws, and serves the next request", async () => {
    let broken = true;
    const breaks: MiddlewareObj = {
      after: () => {
        if (broken) throw new Error('the inner after broke');
      },
    };
    const handler = middy(async (event: Order, context: IdempotentContext) => {
      stageOrder(context, event.id);
      return 'applied';
    })
      .use(idempotency({ store, key: (event: Order) => event.id }))
      .use(breaks);

    await expect(handler({ id: 'inner-throws-1' }, invocationContext())).rejects.toThrow('the inner after broke');
    expect(await getItem(client, dedupTable, 'use#inner-throws-1')).toBeUndefined();
    broken = false;
    expect(await handler({ id: 'inner-throws-1' }, invocationContext())).toBe('applied');
    expect(await appliedCount('inner-throws-1')).toBe(1);
  });

  it("answers with what an inner middleware's `onError` answers for a failed handler, committing nothing", async () => {
    const fallback: MiddlewareObj = {
      onError: (request) => {
        request.response = { statusCode: 503 };
      },
    };
    const handler = middy(async (event: Order, context: IdempotentContext) => {
      stageOrder(context, event.id);
      throw new Error('downstream is down');
    })
      .use(idempotency({ store, key: (event: Order) => event.id }))
      .use(fallback);

    expect(await handler({ id: 'fallback-1' }, invocationContext())).toEqual({ statusCode: 503 });
    expect(await getItem(client, dedupTable, 'use#fallback-1')).toBeUndefined();
    expect(await appliedCount('fallback-1')).toBeUndefined();
  });

  it('refuses once: an inner `onError` that recovers from the refusal (clears the error, answers) is obeyed', async () => {
    const rewritesThenRecovers: MiddlewareObj = {
      after: (request) => {
        request.response = { ...request.response, rewritten: true };
      },
      onError: (request) => {
        if (!(request.error instanceof MiddlewareOrderError)) return;
        request.error = undefined as never;
        request.response = { statusCode: 500, body: 'misconfigured' };
      },
    };
    const handler = middy(async (event: Order, context: IdempotentContext) => {
      stageOrder(context, event.id);
      return { statusCode: 201 };
    })
      .use(idempotency({ store, key: (event: Order) => event.id }))
      .use(rewritesThenRecovers);
    expect(await handler({ id: 'recovers-1' }, invocationContext())).toEqual({
      statusCode: 500,
      body: 'misconfigured',
    });
    expect(await getItem(client, dedupTable, 'use#recovers-1')).toBeUndefined();
  });

  it("shows an inner middleware's `after` the handler's answer as a field of the request, like any other", async () => {
    let logged: unknown;
    const logs: MiddlewareObj = {
      after: (request) => {
        logged = { ...request }.response;
      },
    };
    const handler = middy(async (_event: Order, _context: IdempotentContext) => ({ statusCode: 201 }))
      .use(idempotency({ store, key: (event: Order) => event.id }))
      .use(logs);
    expect(await handler({ id: 'spread-1' }, invocationContext())).toEqual({ statusCode: 201 });
    expect(logged).toEqual({ statusCode: 201 });
  });

  it.each([
    ['after the commit', false, { statusCode: 201 }],
    ['after the handler failed', true, undefined],
  ])(
    'leaves request.response a plain field, as Middy made it, for the middlewares outside it, %s',
    async (_, fails, value) => {
      const seen: unknown[] = [];
      const outer: MiddlewareObj = {
        after: (request) => {
          seen.push(Object.getOwnPropertyDescriptor(request, 'response'));
        },
        onError: (request) => {
          seen.push(Object.getOwnPropertyDescriptor(request, 'response'));
          request.response = { statusCode: 500 };
        },
      };
      const handler = middy(async (event: Order, context: IdempotentContext) => {
        stageOrder(context, event.id);
        if (fails) throw new Error('the handler failed');
        return { statusCode: 201 };
      })
        .use(outer)
        .use(idempotency({ store, key: (event: Order) => event.id }));
      await handler({ id: `plain-${fails}` }, invocationContext());
      expect(seen).toEqual([{ value, writable: true, enumerable: true, configurable: true }]);
    },
  );

  it('used twice in one stack by mistake (a shared list of middlewares, then its own .use()), commits once and answers', async () => {
    const idempotent = idempotency({ store, key: (event: Order) => event.id });
    const handler = middy(async (event: Order, context: IdempotentContext) => {
      stageOrder(context, event.id);
      return 'applied';
    })
      .use(idempotent)
      .use(idempotent);
    expect(await handler({ id: 'twice-1' }, invocationContext())).toBe('applied');
    expect(await appliedCount('twice-1')).toBe(1);
    expect(await handler({ id: 'twice-1' }, invocationContext())).toBe('applied');
    expect(await appliedCount('twice-1')).toBe(1);
  });

  it('commits with a context that cannot tell the time left (a test calling the handler with {})', async () => {
    const handler = middy(async (event: Order, context: IdempotentContext) => {
      stageOrder(context, event.id);
      return 'applied';
    }).use(idempotency({ store, key: (event: Order) => event.id }));
    const context = {} as IdempotentContext;
    expect(await handler({ id: 'no-clock-1' }, context)).toBe('applied');
    expect(context.idempotencyStatus).toBe('committed');
    expect(await appliedCount('no-clock-1')).toBe(1);
  });

  it('commits with exactly the 200 ms a commit needs left', async () => {
    const handler = middy(async (event: Order, context: IdempotentContext) => {
      stageOrder(context, event.id);
      return 'applied';
    }).use(idempotency({ store, key: (event: Order) => event.id }));
    const context = Object.assign(invocationContext(), { getRemainingTimeInMillis: () => 200 });
    expect(await handler({ id: 'margin-200' }, context)).toBe('applied');
    expect(await appliedCount('margin-200')).toBe(1);
  });

  it("commits every kind of write the handler stages on the middleware's tx: put, update, delete, message", async () => {
    const emitting = new Idempotency({ client, tableName: dedupTable, source: 'use-kinds', outboxTable });
    await client.send(new PutCommand({ TableName: orders, Item: { pk: 'kinds-stale' } }));
    const handler = middy(async (event: Order, context: IdempotentContext) => {
      stageOrder(context, event.id);
      context.tx.delete({ TableName: orders, Key: { pk: 'kinds-stale' } });
      return context.tx.emit({
        destination: { kind: 'webhook', url: 'https://partner.example/hooks' },
        payload: { order: event.id },
      });
    }).use(idempotency({ store: emitting, key: (event: Order) => event.id }));

    const messageId = await handler({ id: 'kinds-1' }, invocationContext());
    expect(await getItem(client, orders, 'kinds-1')).toBeDefined();
    expect(await appliedCount('kinds-1')).toBe(1);
    expect(await getItem(client, orders, 'kinds-stale')).toBeUndefined();
    expect(typeof messageId).toBe('string');
    expect(await getItem(client, outboxTable, messageId as string)).toMatchObject({ messageId });
  });

  it("sends the handler's condition checks: one that fails commits nothing", async () => {
    const handler = middy(async (event: Order, context: IdempotentContext) => {
      stageOrder(context, event.id);
      context.tx.conditionCheck({
        TableName: orders,
        Key: { pk: 'kinds-absent' },
        ConditionExpression: 'attribute_exists(pk)',
      });
      return 'applied';
    }).use(idempotency({ store, key: (event: Order) => event.id }));

    await expect(handler({ id: 'kinds-2' }, invocationContext())).rejects.toThrow(BusinessConditionError);
    expect(await appliedCount('kinds-2')).toBeUndefined();
  });
});
