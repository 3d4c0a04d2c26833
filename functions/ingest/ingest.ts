import type { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  lowerCaseHeaders,
  type SecretSource,
  type VerifiedWebhook,
  type VerifiedWebhookEvent,
  verifyWebhook,
  type WebhookScheme,
} from '../../lib/index.js';
import { type WebhookMessage, webhookMessageInput } from '../../lib/webhooks/queued-message.js';
import { ARCHIVE_FAILED, type ArchiveWriter, archiveEntry } from './archive.js';
import { messageGroupId } from './message-group.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export interface IngestDependencies {
  scheme: WebhookScheme;
  source: string;
  secrets: string | string[] | SecretSource;
  sqs: SQSClient;
  queueUrl: string;
  maxBodyBytes: number;
  toleranceSeconds?: number;
  /** FIFO: dot paths into the body naming the entity (the message group); default: every event its own group */
  messageGroupPaths?: readonly string[];
  logger: Logger;
  /** Keeps each accepted webhook (the archive); default: none */
  archive?: ArchiveWriter;
}

/**
 * The webhook receiver: verify the signature (401; 400 for a malformed header) → body size
 * (413) → content type (415) → a UTF-8 JSON object (400) → the idempotency key → SendMessage
 * (and, beside it, the archive write) → 202 { id }. Every rejection enqueues nothing,
 * and a failed SendMessage is a 503, so the sender retries: never a 2xx for an event that is
 * not durably in the queue. A failed archive write alone is logged, not answered 5xx: the event
 * is queued, and the archive is for recovery, not delivery (docs/archive.md).
 */
export function createIngest(
  deps: IngestDependencies,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  const verified = middy<APIGatewayProxyEvent, APIGatewayProxyResult | undefined>()
    .use(verifyWebhook({ scheme: deps.scheme, secrets: deps.secrets, toleranceSeconds: deps.toleranceSeconds }))
    .handler(async (event) => {
      const { webhook, rawBody } = event as VerifiedWebhookEvent;
      if (rawBody.length > deps.maxBodyBytes) {
        return reply(413, `The body is ${rawBody.length} bytes; this endpoint accepts at most ${deps.maxBodyBytes}.`);
      }
      const contentType = lowerCaseHeaders(event.headers)['content-type'];
      if (!isJson(contentType)) {
        return reply(415, `Content-Type must be application/json (got ${contentType ? `"${contentType}"` : 'none'}).`);
      }
      if (rawBody.length === 0) return reply(400, 'The body is empty; a webhook carries a JSON event.');
      let text: string;
      try {
        text = strictUtf8.decode(rawBody);
      } catch {
        // JSON is UTF-8 (RFC 8259); decoding leniently would queue other bytes than were signed
        return reply(400, 'The body is not valid UTF-8, so it is not JSON.');
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        return reply(400, `The body is not valid JSON: ${(error as Error).message}`);
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        const got = body === null ? 'null' : Array.isArray(body) ? 'an array' : `a ${typeof body}`;
        return reply(400, `The body must be a JSON object (an event), got ${got}.`);
      }
      const key = idempotencyKey(webhook, body);
      if (!key) return reply(400, 'The event has no id: a Stripe event body needs a string "id".');

      const message: WebhookMessage = {
        source: deps.source,
        scheme: deps.scheme,
        key,
        body: text,
        receivedAt: new Date().toISOString(),
        deliveryId: webhook.deliveryId,
        // FIFO: one group per entity keeps its events in order while other entities run in parallel
        messageGroupId: messageGroupId(body, deps.messageGroupPaths ?? [], deps.source, key),
      };
      // the archive write runs beside the enqueue (no added latency); only the enqueue decides
      // the answer (docs/archive.md)
      const [enqueued, archived] = await Promise.allSettled([
        deps.sqs.send(new SendMessageCommand(webhookMessageInput(deps.queueUrl, message))),
        deps.archive?.(archiveEntry(message, event, webhook)),
      ]);
      if (enqueued.status === 'rejected') {
        deps.logger.error('could not enqueue the webhook', { webhookId: key, error: enqueued.reason as Error });
        return reply(503, 'The event could not be queued; please retry.', { 'retry-after': '5' });
      }
      if (archived.status === 'rejected') {
        deps.logger.error(ARCHIVE_FAILED, { webhookId: key, receivedAt: message.receivedAt, error: archived.reason });
      }
      deps.logger.info('webhook accepted', {
        webhookId: key,
        deliveryId: webhook.deliveryId,
        scheme: deps.scheme,
        bytes: rawBody.length,
      });
      return { statusCode: 202, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: key }) };
    });

  return async (event, context) => {
    deps.logger.addContext(context);
    const response = (await verified(event, context)) as APIGatewayProxyResult;
    if (response.statusCode >= 400) {
      deps.logger.warn('webhook rejected', { statusCode: response.statusCode, reason: reasonOf(response) });
    }
    return response;
  };
}

/** The key names the event, as the sender sees it: redeliveries of one event share it. */
function idempotencyKey(webhook: VerifiedWebhook, body: unknown): string | undefined {
  if (webhook.scheme === 'stripe') {
    const id = (body as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id.length > 0 ? id : undefined;
  }
  return webhook.id;
}

function isJson(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(';')[0].trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || /^application\/[\w.+-]+\+json$/.test(mediaType);
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
