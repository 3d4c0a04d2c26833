import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { EVENT_ATTRIBUTES } from '../../lib/contracts/sqs-attributes.js';
import {
  lowerCaseHeaders,
  type SecretSource,
  type VerifiedWebhook,
  type VerifiedWebhookEvent,
  verifyWebhook,
  type WebhookScheme,
} from '../../lib/index.js';
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
}

/**
 * The webhook receiver: verify the signature (401; 400 for a malformed header) → body size
 * (413) → content type (415) → a UTF-8 JSON object (400) → the idempotency key → SendMessage →
 * 202 { id }. Every rejection enqueues nothing,
 * and a failed SendMessage is a 503, so the sender retries: never a 2xx for an event that is
 * not durably in the queue.
 */
export function createIngest(
  deps: IngestDependencies,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  const fifo = deps.queueUrl.endsWith('.fifo');
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

      try {
        await deps.sqs.send(
          new SendMessageCommand({
            QueueUrl: deps.queueUrl,
            MessageBody: text,
            MessageAttributes: {
              [EVENT_ATTRIBUTES.key]: attribute(key),
              [EVENT_ATTRIBUTES.source]: attribute(deps.source),
              [EVENT_ATTRIBUTES.scheme]: attribute(deps.scheme),
              [EVENT_ATTRIBUTES.receivedAt]: attribute(new Date().toISOString()),
              // GitHub: the unsigned delivery id, for tracing only (the key is the body's digest)
              ...(webhook.deliveryId ? { [EVENT_ATTRIBUTES.deliveryId]: attribute(webhook.deliveryId) } : {}),
            },
            // FIFO: one group per entity keeps its events in order while other entities run in
            // parallel; SQS drops a resend of the same key for 5 minutes.
            MessageGroupId: fifo ? messageGroupId(body, deps.messageGroupPaths ?? [], deps.source, key) : undefined,
            MessageDeduplicationId: fifo ? createHash('sha256').update(key).digest('hex') : undefined,
          }),
        );
      } catch (error) {
        deps.logger.error('could not enqueue the webhook', { webhookId: key, error: error as Error });
        return reply(503, 'The event could not be queued; please retry.', { 'retry-after': '5' });
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

function attribute(value: string) {
  return { DataType: 'String', StringValue: value };
}
