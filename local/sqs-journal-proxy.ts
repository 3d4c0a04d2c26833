import { createServer } from 'node:http';
import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { forwardRequest } from './forward-request.js';
import { listenOnLoopback } from './loopback-server.js';

/**
 * The SQS and SNS endpoint the local functions use: it passes every request on to moto
 * unchanged, and tells `onSend` about each SendMessage first (before moto has it, so before the
 * ingest answers 202). The functions run their bundles in processes of their own, so this is
 * where the local stack sees what they enqueue. Speaks the AWS JSON protocol of the SDK v3 SQS
 * client. While `holdPublishes()` (moto is being brought back: its topics exist again before
 * their HTTP subscribers do), an SNS Publish is answered 503, which the publisher retries,
 * instead of reaching no one.
 */
export async function startSqsJournalProxy(options: {
  target: () => string;
  onSend: (message: SendMessageCommandInput) => void;
  holdPublishes?: () => boolean;
}): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      if (incoming.headers['x-amz-target'] === 'AmazonSQS.SendMessage') {
        try {
          options.onSend(JSON.parse(body.toString('utf8')) as SendMessageCommandInput);
        } catch (error) {
          outgoing.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          outgoing.end(JSON.stringify({ __type: 'InternalError', message: `journal: ${(error as Error).message}` }));
          return;
        }
      }
      if (options.holdPublishes?.() && /^Action=Publish(Batch)?(&|$)/.test(body.toString('utf8'))) {
        outgoing.writeHead(503, { 'content-type': 'text/xml' });
        outgoing.end(
          '<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>moto server is being brought back: publish again in a moment</Message></Error></ErrorResponse>',
        );
        return;
      }
      // the Host header stays the proxy's: moto builds queue URLs from it, so they point here
      forwardRequest({ incoming, outgoing, body, target: options.target() });
    });
  });
  return listenOnLoopback(server);
}
