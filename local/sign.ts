import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { WebhookScheme } from '../lib/index.js';

/** Signs a webhook as its sender would, for the demo: the headers for `body`. */
export function signWebhook(scheme: WebhookScheme, secret: string, id: string, body: string): Record<string, string> {
  const now = new Date();
  const seconds = Math.floor(now.getTime() / 1000);
  if (scheme === 'standard-webhooks') {
    return {
      'webhook-id': id,
      'webhook-timestamp': String(seconds),
      'webhook-signature': new Webhook(secret).sign(id, now, body),
    };
  }
  if (scheme === 'stripe') {
    const signature = createHmac('sha256', secret).update(`${seconds}.${body}`).digest('hex');
    return { 'Stripe-Signature': `t=${seconds},v1=${signature}` };
  }
  return {
    'X-Hub-Signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    'X-GitHub-Delivery': id,
  };
}
