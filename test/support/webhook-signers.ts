import { randomBytes } from 'node:crypto';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { WebhookVerificationError } from '../../lib/index.js';

/** Signers from the providers' own libraries, so verification is checked against someone else's code. */
const stripe = new Stripe('sk_test_txonce_signing_only');

export function standardWebhooksSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export function signStandardWebhooks(
  secret: string,
  id: string,
  body: string,
  at = new Date(),
): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

export function signStripe(secret: string, body: string, at = new Date()): Record<string, string> {
  return {
    'Stripe-Signature': stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret,
      timestamp: Math.floor(at.getTime() / 1000),
    }),
  };
}

export { stripe as stripeClient };

export async function signGithub(secret: string, deliveryId: string, body: string): Promise<Record<string, string>> {
  return {
    'X-Hub-Signature-256': await githubSign(secret, body),
    'X-GitHub-Delivery': deliveryId,
    'X-GitHub-Event': 'ping',
  };
}

/** The WebhookVerificationError `run` throws; any other outcome fails the test. */
export function rejection(run: () => unknown): WebhookVerificationError {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error;
    throw error;
  }
  throw new Error('expected the webhook to be rejected');
}
