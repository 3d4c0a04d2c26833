import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * The URL a sender posted to, rebuilt from an API Gateway event, for schemes that sign it
 * (Square, Twilio): https, the Host header, the path as the client sent it (with the stage,
 * as `requestContext.path` keeps it) and the query. A custom domain with a base path mapping,
 * a proxy or a query the sender encoded differently rebuilds to other bytes: then pass
 * `url` to verifyWebhook, exactly as configured at the provider.
 *
 * @example
 * ```ts
 * import type { APIGatewayProxyEvent } from 'aws-lambda';
 * import { requestUrl } from 'txonce';
 *
 * export const signedUrl = (event: APIGatewayProxyEvent) => requestUrl(event); // https://host/prod/webhooks?x=1
 * ```
 */
export function requestUrl(event: APIGatewayProxyEvent): string {
  const headers = event.headers ?? {};
  const host = Object.entries(headers).find(([name]) => name.toLowerCase() === 'host')?.[1] ?? '';
  const path = event.requestContext?.path ?? event.path ?? '/';
  const query = new URLSearchParams();
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    for (const value of values ?? []) query.append(name, value);
  }
  const search = query.toString();
  return `https://${host}${path}${search ? `?${search}` : ''}`;
}
