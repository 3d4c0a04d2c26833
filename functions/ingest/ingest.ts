import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  lowerCaseHeaders,
  type SchemeSelector,
  type SecretSource,
  type VerifiedWebhookEvent,
  verifyWebhook,
} from '../../lib/index.js';
import { ARCHIVE_FAILED_MESSAGE } from '../../lib/webhooks/archive-layout.js';
import { type WebhookMessage, webhookMessageInput } from '../../lib/webhooks/queued-message.js';
import { type ArchiveWriter, archiveEntry } from './archive.js';
import { type BodyType, FORM_CONTENT_TYPE, readEventBody } from './event-body.js';
import { messageGroupId } from './message-group.js';
import { countArchiveWriteFailure, countRequest } from './rejection-metrics.js';

export interface IngestDependencies {
  /** a preset's name or a scheme definition */
  scheme: SchemeSelector;
  /** the source's name: the key namespace, the `source` attribute and the metrics' dimension */
  source: string;
  secrets: string | string[] | SecretSource;
  sqs: SQSClient;
  queueUrl: string;
  maxBodyBytes: number;
  toleranceSeconds?: number;
  /** FIFO: dot paths into the body naming the entity (the message group); default: every event its own group */
  messageGroupPaths?: readonly string[];
  /** How the provider sends its events; default 'json'. */
  body?: BodyType;
  /** The URL the provider posts to, for schemes that sign it (Square, Twilio); default rebuilt from the request. */
  url?: string;
  logger: Logger;
  /** Keeps each accepted webhook (the archive); default: none */
  archive?: ArchiveWriter;
  /** Where each request and each signature rejection of this source is counted (EMF). */
  metrics?: Metrics;
}

/**
 * One source's webhook receiver: verify the signature (401; 400 for a malformed header) → body
 * size (413) → content type (415) → a UTF-8 JSON object or form parameters (400) → the
 * idempotency key → SendMessage (and, beside it, the archive write, under this source) →
 * 202 { id }. Every rejection enqueues nothing,
 * and a failed SendMessage is a 503, so the sender retries: never a 2xx for an event that is
 * not durably in the queue. A failed archive write alone is logged, not answered 5xx: the event
 * is queued, and the archive is for recovery, not delivery (docs/archive.md).
 */
export function createIngest(
  deps: IngestDependencies,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  const verified = middy<APIGatewayProxyEvent, APIGatewayProxyResult | undefined>()
    .use(
      verifyWebhook({
        scheme: deps.scheme,
        secrets: deps.secrets,
        toleranceSeconds: deps.toleranceSeconds,
        ...(deps.url ? { url: deps.url } : {}),
      }),
    )
    .handler(async (event) => {
      const { webhook, rawBody } = event as VerifiedWebhookEvent;
      if (rawBody.length > deps.maxBodyBytes) {
        return reply(413, `The body is ${rawBody.length} bytes; this endpoint accepts at most ${deps.maxBodyBytes}.`);
      }
      const read = readEventBody(rawBody, lowerCaseHeaders(event.headers)['content-type'], deps.body ?? 'json');
      if (!read.ok) return reply(read.statusCode, read.message);
      const { text, value: body } = read;
      const key = webhook.id;
      if (!key) return reply(400, `The event has no id: ${missingId(webhook.scheme)}.`);

      const message: WebhookMessage = {
        source: deps.source,
        scheme: webhook.scheme,
        key,
        body: text,
        // form parameters are queued as sent; the consumer reads them with URLSearchParams
        ...(deps.body === 'form' ? { contentType: FORM_CONTENT_TYPE } : {}),
        receivedAt: new Date().toISOString(),
        deliveryId: webhook.deliveryId,
        // FIFO: one group per entity keeps its events in order while other entities run in parallel
        messageGroupId: messageGroupId(body, deps.messageGroupPaths ?? [], deps.source, key),
      };
      // the archive write runs beside the enqueue (no added latency); only the enqueue decides
      // the answer (docs/archive.md)
      const [enqueued, archived] = await Promise.allSettled([
        deps.sqs.send(new SendMessageCommand(webhookMessageInput(deps.queueUrl, message))),
        deps.archive?.(archiveEntry(message, event, { scheme: deps.scheme, url: deps.url, webhook })),
      ]);
      if (enqueued.status === 'rejected') {
        deps.logger.error('could not enqueue the webhook', { webhookId: key, error: enqueued.reason as Error });
        return reply(503, 'The event could not be queued; please retry.', { 'retry-after': '5' });
      }
      if (archived.status === 'rejected') {
        deps.logger.error(ARCHIVE_FAILED_MESSAGE, {
          webhookId: key,
          source: deps.source,
          receivedAt: message.receivedAt,
          error: archived.reason,
        });
        if (deps.metrics) countArchiveWriteFailure(deps.metrics, deps.source);
      }
      deps.logger.info('webhook accepted', {
        webhookId: key,
        deliveryId: webhook.deliveryId,
        source: deps.source,
        scheme: webhook.scheme,
        bytes: rawBody.length,
      });
      return { statusCode: 202, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: key }) };
    });

  return async (event, context) => {
    deps.logger.addContext(context);
    const response = (await verified(event, context)) as APIGatewayProxyResult;
    if (response.statusCode >= 400) {
      deps.logger.warn('webhook rejected', {
        source: deps.source,
        statusCode: response.statusCode,
        reason: reasonOf(response),
      });
    }
    if (deps.metrics) countRequest(deps.metrics, deps.source, response.statusCode);
    return response;
  };
}

/** What a scheme's missing id is, in the words of its definition. */
function missingId(scheme: string): string {
  return scheme === 'stripe'
    ? 'a Stripe event body needs a string "id"'
    : `the ${scheme} scheme found none in the request`;
}

function reply(statusCode: number, message: string, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ message }) };
}

function reasonOf(response: APIGatewayProxyResult): string {
  try {
    const body = JSON.parse(response.body);
    return body.reason ?? body.message;
  } catch {
    return 'unknown';
  }
}
