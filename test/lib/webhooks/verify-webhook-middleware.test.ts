import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type SecretSource, verifyWebhook } from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { handlerWith } from '../../support/webhook-receiver.js';
import { signStandardWebhooks, standardWebhooksSecret } from '../../support/webhook-signers.js';

const body = '{"type":"x"}';

const send = async (
  handler: ReturnType<typeof handlerWith>['handler'],
  headers: Record<string, string>,
  event: Partial<APIGatewayProxyEvent> = {},
) =>
  (await handler(
    { body, headers, isBase64Encoded: false, ...event } as never,
    lambdaContext(),
  )) as APIGatewayProxyResult;

afterEach(() => {
  vi.useRealTimers();
});

describe('verifyWebhook: option errors are TypeErrors that say what to pass', () => {
  const secret = standardWebhooksSecret();

  it('names the schemes when the scheme is unknown or missing', () => {
    expect(() => verifyWebhook({ scheme: 'svix' as never, secrets: secret })).toThrow(
      new TypeError(
        'verifyWebhook: scheme must be one of standard-webhooks, stripe, github, shopify, slack, square, linear, paddle, zoom, twilio, or a scheme definition (got "svix").',
      ),
    );
    expect(() => verifyWebhook(undefined as never)).toThrow(
      new TypeError(
        'verifyWebhook: scheme must be one of standard-webhooks, stripe, github, shopify, slack, square, linear, paddle, zoom, twilio, or a scheme definition (got undefined).',
      ),
    );
  });

  it.each([Number.NaN, -1, Number.POSITIVE_INFINITY])('names a refreshIntervalMs of %s', (refreshIntervalMs) => {
    expect(() => verifyWebhook({ scheme: 'standard-webhooks', secrets: secret, refreshIntervalMs })).toThrow(
      new TypeError(`verifyWebhook: refreshIntervalMs must be a number >= 0 (got ${refreshIntervalMs}).`),
    );
  });

  it('names a toleranceSeconds that is not positive', () => {
    expect(() => verifyWebhook({ scheme: 'standard-webhooks', secrets: secret, toleranceSeconds: 0 })).toThrow(
      new TypeError('verifyWebhook: toleranceSeconds must be a positive number (got 0).'),
    );
  });

  it.each([null, {}, { current: 'not a function' }])('refuses secrets of %j', (secrets) => {
    expect(() => verifyWebhook({ scheme: 'stripe', secrets: secrets as never })).toThrow(
      new TypeError('verifyWebhook: secrets must be a string, a list of strings, or { current(), refresh?() }.'),
    );
  });

  it('checks static secrets when the middleware is made, not on the first request', () => {
    expect(() => verifyWebhook({ scheme: 'standard-webhooks', secrets: [secret, 'whsec_!'] })).toThrow(
      new TypeError('verifyWebhook: a Standard Webhooks secret is "whsec_" followed by base64.'),
    );
    expect(() => verifyWebhook({ scheme: 'github', secrets: [] })).toThrow(
      new TypeError('verifyWebhook: no github secret configured.'),
    );
  });

  it('accepts a refreshIntervalMs of 0', () => {
    expect(() => verifyWebhook({ scheme: 'standard-webhooks', secrets: secret, refreshIntervalMs: 0 })).not.toThrow();
  });
});

describe('verifyWebhook: what the handler and the sender see', () => {
  const secret = standardWebhooksSecret();

  it('gives the handler the verified webhook and the raw body bytes, decoded from base64', async () => {
    const { handler, seen } = handlerWith({ scheme: 'standard-webhooks', secrets: secret });
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const headers = signStandardWebhooks(secret, 'msg_b64', body, at);
    const response = await send(handler, headers, {
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    });
    expect(response.statusCode).toBe(202);
    expect(seen[0].webhook).toEqual({ scheme: 'standard-webhooks', id: 'msg_b64', timestamp: at });
    expect(seen[0].rawBody).toEqual(Buffer.from(body));
  });

  it('answers 401 with a JSON body naming the reason and the detail, and never runs the handler', async () => {
    const { handler, seen } = handlerWith({ scheme: 'standard-webhooks', secrets: secret });
    const headers = signStandardWebhooks(standardWebhooksSecret(), 'msg_forged', body);
    const response = await send(handler, headers);
    expect(response).toEqual({
      statusCode: 401,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        message: 'Webhook signature verification failed',
        reason: 'bad-signature',
        detail: 'no webhook-signature matches',
      }),
    });
    expect(seen).toEqual([]);
  });

  it('answers 400 to a malformed header', async () => {
    const { handler } = handlerWith({ scheme: 'standard-webhooks', secrets: secret });
    const headers = { ...signStandardWebhooks(secret, 'msg_m', body), 'webhook-signature': 'v2,abc' };
    const response = await send(handler, headers);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      message: 'Webhook signature verification failed',
      reason: 'malformed-header',
      detail: 'webhook-signature has no v1 signature',
    });
  });

  it('uses the configured tolerance', async () => {
    const { handler } = handlerWith({ scheme: 'standard-webhooks', secrets: secret, toleranceSeconds: 5 });
    const headers = signStandardWebhooks(secret, 'msg_late', body, new Date(Date.now() - 60_000));
    const response = await send(handler, headers);
    expect(JSON.parse(response.body)).toMatchObject({
      reason: 'timestamp-out-of-tolerance',
      detail: 'the signed timestamp is more than 5 s from now',
    });
  });
});

describe('verifyWebhook with a SecretSource', () => {
  const secret = standardWebhooksSecret();

  function countingSource(initial: string[], next: () => string[] | Promise<string[]> = () => initial) {
    const source = {
      secrets: initial,
      refreshes: 0,
      current: () => source.secrets,
      refresh: async () => {
        source.refreshes++;
        source.secrets = await next();
        return source.secrets;
      },
    };
    return source;
  }

  it('does not refresh for a missing header or a stale timestamp: only a signature mismatch may mean a rotation', async () => {
    const source = countingSource([secret]);
    const { handler } = handlerWith({ scheme: 'standard-webhooks', secrets: source, refreshIntervalMs: 0 });
    expect((await send(handler, {})).statusCode).toBe(401);
    const stale = signStandardWebhooks(secret, 'msg_stale', body, new Date(Date.now() - 3_600_000));
    expect(JSON.parse((await send(handler, stale)).body).reason).toBe('timestamp-out-of-tolerance');
    expect(source.refreshes).toBe(0);
  });

  it('answers 401 when the refreshed secrets do not match either', async () => {
    const other = standardWebhooksSecret();
    const source = countingSource([secret], () => [other]);
    const { handler } = handlerWith({ scheme: 'standard-webhooks', secrets: source });
    const response = await send(handler, signStandardWebhooks(standardWebhooksSecret(), 'msg_x', body));
    expect(JSON.parse(response.body).reason).toBe('bad-signature');
    expect(source.refreshes).toBe(1);
  });

  it('answers 401 without a refresh when the source has none', async () => {
    const source: SecretSource = { current: async () => [secret] };
    const { handler } = handlerWith({ scheme: 'standard-webhooks', secrets: source });
    expect((await send(handler, signStandardWebhooks(secret, 'msg_ok', body))).statusCode).toBe(202);
    expect((await send(handler, signStandardWebhooks(standardWebhooksSecret(), 'msg_no', body))).statusCode).toBe(401);
  });

  it('fails the request, not with a 401, when the source hands over a secret the scheme cannot use', async () => {
    const { handler } = handlerWith({ scheme: 'standard-webhooks', secrets: { current: () => ['not base64!'] } });
    await expect(send(handler, signStandardWebhooks(secret, 'msg_bad', body))).rejects.toThrow(
      new TypeError('verifyWebhook: a Standard Webhooks secret is "whsec_" followed by base64.'),
    );
    const rotatedToBad = countingSource([secret], () => ['whsec_!']);
    const refreshing = handlerWith({ scheme: 'standard-webhooks', secrets: rotatedToBad });
    await expect(
      send(refreshing.handler, signStandardWebhooks(standardWebhooksSecret(), 'msg_bad2', body)),
    ).rejects.toThrow(TypeError);
  });

  it('refreshes again once the interval has passed, not a millisecond before (default 30 s)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const source = countingSource([secret]);
    const { handler } = handlerWith({ scheme: 'standard-webhooks', secrets: source });
    const forged = () => send(handler, signStandardWebhooks(standardWebhooksSecret(), 'msg_f', body));
    await forged();
    expect(source.refreshes).toBe(1);
    vi.advanceTimersByTime(29_999);
    await forged();
    expect(source.refreshes).toBe(1);
    vi.advanceTimersByTime(1);
    await forged();
    expect(source.refreshes).toBe(2);
  });

  it('refreshes on every mismatch with refreshIntervalMs 0', async () => {
    const source = countingSource([secret]);
    const { handler } = handlerWith({ scheme: 'standard-webhooks', secrets: source, refreshIntervalMs: 0 });
    for (let attempt = 0; attempt < 3; attempt++) {
      await send(handler, signStandardWebhooks(standardWebhooksSecret(), `msg_${attempt}`, body));
    }
    expect(source.refreshes).toBe(3);
  });

  it('shares one refresh between concurrent mismatches, and both pick up the rotated secret', async () => {
    const rotated = standardWebhooksSecret();
    let release: () => void = () => {};
    const source = countingSource(
      [secret],
      () =>
        new Promise<string[]>((resolve) => {
          release = () => resolve([rotated]);
        }),
    );
    const { handler } = handlerWith({ scheme: 'standard-webhooks', secrets: source, refreshIntervalMs: 0 });
    const first = send(handler, signStandardWebhooks(rotated, 'msg_c1', body));
    const second = send(handler, signStandardWebhooks(rotated, 'msg_c2', body));
    await vi.waitFor(() => expect(source.refreshes).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    expect((await first).statusCode).toBe(202);
    expect((await second).statusCode).toBe(202);
    expect(source.refreshes).toBe(1);
  });

  it('keeps the source as this when calling refresh', async () => {
    const rotated = standardWebhooksSecret();
    const source = {
      list: [secret],
      current() {
        return this.list;
      },
      refresh() {
        this.list = [rotated];
        return this.list;
      },
    };
    const { handler } = handlerWith({ scheme: 'standard-webhooks', secrets: source });
    expect((await send(handler, signStandardWebhooks(rotated, 'msg_this', body))).statusCode).toBe(202);
  });
});

describe('verifyWebhook: a rotation is told apart by the list of secrets, not their joined text', () => {
  const body = '{}';
  const signGithub = (secret: string) => ({
    'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    'x-github-delivery': 'd-rot',
  });
  const rotating = (from: string[], to: string[]) => {
    let secrets = from;
    return { current: () => secrets, refresh: () => (secrets = to) };
  };

  it.each([
    [['ab'], ['a', 'b'], 'b'],
    [['a', 'b'], ['ab'], 'ab'],
  ])('picks up %j rotated to %j', async (from, to, signingSecret) => {
    const { handler } = handlerWith({ scheme: 'github', secrets: rotating(from, to) });
    const response = await send(handler, signGithub(signingSecret), { body });
    expect(response.statusCode).toBe(202);
  });
});

describe('verifyWebhook: an error that is not a rejection, while retrying with refreshed secrets', () => {
  it('fails the request, not with a 401, when the url function throws on the retry', async () => {
    let calls = 0;
    const url = () => {
      calls++;
      if (calls > 1) throw new Error('the URL setting is unreadable');
      return 'https://example.com/square';
    };
    const secrets = { current: () => ['old-secret'], refresh: () => ['new-secret'] };
    const { handler } = handlerWith({ scheme: 'square', secrets, url });
    const squareBody = '{"event_id":"evt_sq"}';
    const signature = createHmac('sha256', 'forged').update(`https://example.com/square${squareBody}`).digest('base64');
    await expect(send(handler, { 'x-square-hmacsha256-signature': signature }, { body: squareBody })).rejects.toThrow(
      'the URL setting is unreadable',
    );
    expect(calls).toBe(2);
  });
});

describe('verifyWebhook: the middleware object', () => {
  it('is named txonce-verify-webhook', () => {
    expect(verifyWebhook({ scheme: 'github', secrets: 'x' }).name).toBe('txonce-verify-webhook');
  });
});
