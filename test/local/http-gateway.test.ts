import { type IncomingMessage, request } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startHttpGateway } from '../../local/http-gateway.js';

let gateway: RunningGateway;
let seen: APIGatewayProxyEvent | undefined;

beforeAll(async () => {
  gateway = await startHttpGateway({
    binaryMediaTypes: ['application/octet-stream', 'image/*'],
    routes: [
      {
        method: 'POST',
        path: '/echo',
        handler: async (event) => {
          seen = event;
          return {
            statusCode: 201,
            headers: { 'X-Echo': 'yes' },
            multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
            body: JSON.stringify({ ok: true }),
          };
        },
      },
      {
        method: 'POST',
        path: '/throws',
        handler: async () => {
          throw new Error('boom');
        },
      },
    ],
  });
});

afterAll(() => gateway.stop());

describe('the local HTTP gateway (API Gateway REST proxy events)', () => {
  it("passes headers in the sender's case, multi-value headers and query, and the raw body", async () => {
    const body = '{ "a" : 1 }';
    // node:http, not fetch: fetch would fold the repeated header into one line
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const sent = request(`${gateway.url}/echo?x=1&y=2&y=3`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Webhook-ID': 'msg_1', 'X-Multi': ['one', 'two'] },
      });
      sent.on('response', resolve).on('error', reject);
      sent.end(body);
    });
    response.resume();

    expect(response.statusCode).toBe(201);
    expect(response.headers['x-echo']).toBe('yes');
    expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(seen).toMatchObject({
      httpMethod: 'POST',
      path: '/echo',
      resource: '/echo',
      body,
      isBase64Encoded: false,
      queryStringParameters: { x: '1', y: '3' },
      multiValueQueryStringParameters: { x: ['1'], y: ['2', '3'] },
      requestContext: { httpMethod: 'POST', stage: 'local', resourcePath: '/echo' },
    });
    expect(seen?.headers['Webhook-ID']).toBe('msg_1');
    expect(seen?.headers['webhook-id']).toBeUndefined();
    expect(seen?.multiValueHeaders['X-Multi']).toEqual(['one', 'two']);
    expect(seen?.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('base64-encodes bodies of binary media types', async () => {
    const bytes = Buffer.from([0, 255, 1, 254]);
    await fetch(`${gateway.url}/echo`, { method: 'POST', body: bytes, headers: { 'Content-Type': 'image/png' } });
    expect(seen?.isBase64Encoded).toBe(true);
    expect(Buffer.from(seen?.body ?? '', 'base64')).toEqual(bytes);
  });

  it('answers 502 when the handler throws, and 404 / 405 for unknown routes', async () => {
    expect((await fetch(`${gateway.url}/throws`, { method: 'POST' })).status).toBe(502);
    expect((await fetch(`${gateway.url}/nowhere`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${gateway.url}/echo`, { method: 'GET' })).status).toBe(405);
  });
});
