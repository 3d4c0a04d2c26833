import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { lambdaContext } from './lambda-context.js';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface Route {
  method: string;
  /** an exact path, e.g. "/webhooks" */
  path: string;
  handler: ProxyHandler;
}

export interface HttpGatewayOptions {
  routes: Route[];
  /** 0 (default) picks a free port */
  port?: number;
  host?: string;
  /** Content types whose bodies reach the handler base64-encoded, as API Gateway's binaryMediaTypes. */
  binaryMediaTypes?: string[];
  stage?: string;
}

export interface RunningGateway {
  url: string;
  /** the stage name, which the request context's path starts with (what a URL-signing scheme's ingest rebuilds) */
  stage: string;
  server: Server;
  stop(): Promise<void>;
}

/** API Gateway's payload limit for REST APIs. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/**
 * API Gateway (REST, Lambda proxy integration) on one machine: each HTTP request becomes an
 * APIGatewayProxyEvent (headers in the sender's case, multi-value headers and query, the raw
 * body, base64 for binary media types, a request context), and the handler's result becomes the
 * HTTP response. A handler that throws is a 502, as on API Gateway.
 */
export async function startHttpGateway(options: HttpGatewayOptions): Promise<RunningGateway> {
  const stage = options.stage ?? 'local';
  const server = createServer((request, response) => {
    serve(request, response, options, stage).catch((error) => {
      if (!response.headersSent) send(response, 500, { message: `Local gateway error: ${(error as Error).message}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    stage,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  options: HttpGatewayOptions,
  stage: string,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  // routes match the path as sent: one that only normalization turns into a route
  // (/webhooks/../receipts, /x/%2e%2e/receipts) must not reach it
  const path = (request.url ?? '/').split('?')[0] === url.pathname ? url.pathname : undefined;
  const route = options.routes.find((candidate) => candidate.path === path && candidate.method === request.method);
  if (!route) {
    send(response, options.routes.some((candidate) => candidate.path === path) ? 405 : 404, {
      message: 'Missing Authentication Token',
    });
    request.resume();
    return;
  }
  const body = await readBody(request);
  if (body === undefined) {
    send(response, 413, { message: 'Request Too Long' });
    return;
  }
  const event = toProxyEvent(request, url, body, route, options.binaryMediaTypes ?? [], stage);
  let result: APIGatewayProxyResult;
  try {
    result = await route.handler(event, lambdaContext(30_000, 'local-gateway'));
  } catch {
    send(response, 502, { message: 'Internal server error' });
    return;
  }
  if (!result || typeof result.statusCode !== 'number') {
    send(response, 502, { message: 'Internal server error' });
    return;
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
    response.setHeader(name, values.map(String));
  response.statusCode = result.statusCode;
  response.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export function toProxyEvent(
  request: IncomingMessage,
  url: URL,
  body: Buffer,
  route: Route,
  binaryMediaTypes: string[],
  stage: string,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  // rawHeaders keeps the sender's case, as API Gateway does
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const [name, value] = [request.rawHeaders[index], request.rawHeaders[index + 1]];
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    multiValueQuery[name] = [...(multiValueQuery[name] ?? []), value];
  }
  const contentType = request.headers['content-type'] ?? '';
  const binary = body.length > 0 && isBinary(contentType, binaryMediaTypes);
  const now = Date.now();
  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: request.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: url.searchParams.size > 0 ? query : null,
    multiValueQueryStringParameters: url.searchParams.size > 0 ? multiValueQuery : null,
    pathParameters: null,
    stageVariables: null,
    body: body.length === 0 ? null : body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: undefined,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: request.method ?? 'GET',
      identity: {
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: request.headers['user-agent'] ?? null,
      } as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/${stage}${url.pathname}`,
      stage,
      requestId: randomUUID(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: route.path,
    },
  };
}

function isBinary(contentType: string, binaryMediaTypes: string[]): boolean {
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  return binaryMediaTypes.some((pattern) => {
    const lower = pattern.toLowerCase();
    if (lower === '*/*') return true;
    if (lower.endsWith('/*')) return mediaType.startsWith(lower.slice(0, -1));
    return mediaType === lower;
  });
}

function send(response: ServerResponse, statusCode: number, body: object): void {
  response.statusCode = statusCode;
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify(body));
}
