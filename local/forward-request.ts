import type { Agent, IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';

/**
 * Passes a request on to `target` unchanged, its Host header included (moto builds queue URLs
 * from it, so they keep pointing at the proxy that passed it on), and its answer back. When the
 * target cannot be reached, the caller gets a 503 in the AWS JSON protocol, which the SDK retries.
 */
export function forwardRequest(options: {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
  body: Buffer;
  target: string;
  agent?: Agent;
}): void {
  const { incoming, outgoing, body } = options;
  const target = new URL(options.target);
  const forward = httpRequest(
    {
      agent: options.agent,
      host: target.hostname,
      port: target.port,
      method: incoming.method,
      path: incoming.url,
      headers: { ...incoming.headers, 'content-length': String(body.length) },
    },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  forward.on('error', (error) => {
    if (outgoing.headersSent) return outgoing.destroy();
    outgoing.writeHead(503, { 'content-type': 'application/x-amz-json-1.0' });
    outgoing.end(JSON.stringify({ __type: 'ServiceUnavailable', message: `${target.host}: ${error.message}` }));
  });
  forward.end(body);
}
