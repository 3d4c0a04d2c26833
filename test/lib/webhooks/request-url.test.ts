import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { requestUrl } from '../../../lib/index.js';

const event = (fields: Partial<APIGatewayProxyEvent>) => fields as APIGatewayProxyEvent;

describe('requestUrl: the URL the sender posted to, rebuilt from the event', () => {
  it('takes the Host header in any case among other headers, the stage path and the query', () => {
    expect(
      requestUrl(
        event({
          headers: { 'X-Forwarded-For': '10.0.0.1', HOST: 'api.example.com' },
          path: '/webhooks',
          requestContext: { path: '/prod/webhooks' } as APIGatewayProxyEvent['requestContext'],
          multiValueQueryStringParameters: { a: ['1', '2'], b: ['x y'] },
        }),
      ),
    ).toBe('https://api.example.com/prod/webhooks?a=1&a=2&b=x+y');
  });

  it('has no query mark without a query, and skips a parameter without values', () => {
    expect(requestUrl(event({ headers: { host: 'h.example' }, path: '/hook' }))).toBe('https://h.example/hook');
    expect(
      requestUrl(
        event({
          headers: { host: 'h.example' },
          path: '/hook',
          multiValueQueryStringParameters: { a: undefined as never },
        }),
      ),
    ).toBe('https://h.example/hook');
  });

  it('falls back to an empty host and the root path', () => {
    expect(requestUrl(event({ headers: {} }))).toBe('https:///');
    expect(requestUrl(event({}))).toBe('https:///');
  });
});
