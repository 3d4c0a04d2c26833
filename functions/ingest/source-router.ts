import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * One ingest for several sources: API Gateway calls it for `/webhooks/<name>`, and the last
 * segment of the resource names the source whose handler (its scheme, secret, namespace) runs.
 * A path that names no source is a 404 (API Gateway only routes the sources' own paths here).
 */
export function routeBySource(handlers: Record<string, ProxyHandler>): ProxyHandler {
  return async (event, context) => {
    const name = (event.resource ?? event.path ?? '').split('/').filter(Boolean).at(-1) ?? '';
    if (!Object.hasOwn(handlers, name)) {
      return {
        statusCode: 404,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          message: `No webhook source is named "${name}"; post to /webhooks/<source>, one of: ${Object.keys(handlers).join(', ')}.`,
        }),
      };
    }
    return handlers[name](event, context);
  };
}
