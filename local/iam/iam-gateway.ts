import { Agent, createServer } from 'node:http';
import { forwardRequest } from '../forward-request.js';
import { listenOnLoopback } from '../loopback-server.js';
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
  authorizer: Pick<IamAuthorizer, 'authorize'>;
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
      const call = readServiceCall(incoming.headers, body, { method: incoming.method, url: incoming.url });
      if (call) {
        let verdict: Verdict;
        try {
          verdict = await options.authorizer.authorize(call);
        } catch (error) {
          // a bug or a policy the evaluator cannot read: the call fails, the stack goes on
          outgoing.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          outgoing.end(
            JSON.stringify({ __type: 'InternalFailure', message: `local IAM check: ${(error as Error).message}` }),
          );
          return;
        }
        options.onVerdict?.(call, verdict);
        if (verdict.kind === 'denied' && options.enforce) {
          const answer = accessDenied(call, verdict.denial.message);
          outgoing.writeHead(answer.status, answer.headers);
          outgoing.end(answer.body);
          return;
        }
      }
      forwardRequest({ incoming, outgoing, body, target: options.upstream(call?.signingName ?? 'other'), agent });
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    stop: () => {
      agent.destroy();
      return listening.stop();
    },
  };
}
