import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type VerifiedWebhookEvent, type VerifyWebhookOptions, verifyWebhook } from '../../lib/index.js';

/** A Middy handler behind verifyWebhook that answers 202 with the webhook id and keeps what it saw. */
export function handlerWith(options: VerifyWebhookOptions) {
  const seen: VerifiedWebhookEvent[] = [];
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult | undefined>()
    .use(verifyWebhook(options))
    .handler(async (event) => {
      seen.push(event as VerifiedWebhookEvent);
      return { statusCode: 202, body: String((event as VerifiedWebhookEvent).webhook.id) };
    });
  return { handler, seen };
}
