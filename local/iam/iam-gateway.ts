import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessDenied } from './access-denied.js';
import type { IamAuthorizer, Verdict } from './authorizer.js';
import { readServiceCall, type ServiceCall } from './service-call.js';

export interface IamGateway {
  url: string;
  stop(): Promise<void>;
}

/**
 * The one endpoint the functions' SDK clients reach: each signed call is authorized against the
 * calling function's execution role before it is passed on to the emulator of its service
 * (by the signature's service name), unchanged and with its Host header, so that moto builds
 * queue URLs that lead here too. A denied call never reaches the emulator: it is answered as
 * the service answers it. With `enforce` off, calls are only recorded.
 */
export async function startIamGateway(options: {
  authorizer: IamAuthorizer;
  enforce: boolean;
  /** where each service's calls go: by SigV4 signing name, `other` for the rest */
  upstream: (signingName: string) => string;
  onVerdict?: (call: ServiceCall, verdict: Verdict) => void;
}): Promise<IamGateway> {
  const agent = new Agent({ keepAlive: true });
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      const body = Buffer.concat(chunks);
      const call = readServiceCall(incoming.headers, body);
      if (call) {
        const verdict = await options.authorizer.authorize(call);
        options.onVerdict?.(call, verdict);
        if (verdict.kind === 'denied' && options.enforce) {
          const answer = accessDenied(call, verdict.denial.message);
          outgoing.writeHead(answer.status, answer.headers);
          outgoing.end(answer.body);
          return;
        }
      }
      const target = new URL(options.upstream(call?.signingName ?? 'other'));
      const forward = httpRequest(
        {
          agent,
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
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
