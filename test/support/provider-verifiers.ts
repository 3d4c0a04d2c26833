import { createHmac } from 'node:crypto';
import { LinearWebhookClient } from '@linear/sdk/webhooks';
import { NodeRuntime, Webhooks as PaddleWebhooks } from '@paddle/paddle-node-sdk';
import '@shopify/shopify-api/adapters/web-api';
import { ApiVersion, LogSeverity, shopifyApi } from '@shopify/shopify-api';
import { verifyRequestSignature as slackVerify } from '@slack/events-api';
import { WebhooksHelper } from 'square';
import twilio from 'twilio';
import type { WebhookPreset } from '../../lib/index.js';

/**
 * Each provider's documented signing and its own SDK's verifier (Zoom publishes no verifier:
 * its documented formula only), so a preset is checked against someone else's code.
 */
export interface ProviderCase {
  preset: WebhookPreset;
  /** Names the case where one preset has several forms */
  label?: string;
  /** What is sent at `at`: the body, and the URL it is posted to */
  request(at: Date): { body: string; url: string };
  /** false where the provider signs no time: no stale case */
  signsTime: boolean;
  sign(secret: string, body: string, at: Date, url: string): Record<string, string>;
  /** The SDK's verdict: true, or false for a rejection (a throw counts as one). */
  sdkAccepts(secret: string, headers: Record<string, string>, body: string, url: string): Promise<boolean>;
  /** The header a malformed case garbles. */
  signatureHeader: string;
}

NodeRuntime.initialize(); // what `new Paddle(apiKey)` does: the SDK's crypto for Node

const seconds = (at: Date) => Math.floor(at.getTime() / 1000);
const hmac = (algorithm: string, secret: string, data: string, encoding: 'hex' | 'base64') =>
  createHmac(algorithm, secret).update(data).digest(encoding);

async function verdict(run: () => unknown): Promise<boolean> {
  try {
    return (await run()) !== false;
  } catch {
    return false;
  }
}

const shopify = (secret: string) =>
  shopifyApi({
    apiKey: 'txonce-test',
    apiSecretKey: secret,
    scopes: [],
    hostName: 'example.com',
    apiVersion: ApiVersion.October25,
    isEmbeddedApp: false,
    logger: { level: LogSeverity.Error, log: () => undefined },
  });

export const providerCases: ProviderCase[] = [
  {
    preset: 'shopify',
    request: () => ({
      body: '{"id":820982911946154508,"email":"jon@example.com","updated_at":"2026-12-06T02:00:00-05:00"}',
      url: 'https://example.com/prod/webhooks/shopify',
    }),
    signsTime: false,
    signatureHeader: 'X-Shopify-Hmac-Sha256',
    // shopify.dev: base64 HMAC-SHA256 of the raw body with the app's client secret
    sign: (secret, body) => ({
      'X-Shopify-Hmac-Sha256': hmac('sha256', secret, body, 'base64'),
      'X-Shopify-Topic': 'orders/create',
      'X-Shopify-Shop-Domain': 'txonce.myshopify.com',
      'X-Shopify-API-Version': '2025-10',
      'X-Shopify-Webhook-Id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    }),
    sdkAccepts: async (secret, headers, body) => {
      const rawRequest = new Request('https://example.com/webhooks', { method: 'POST', body, headers });
      const result = await shopify(secret).webhooks.validate({ rawBody: body, rawRequest });
      return result.valid;
    },
  },
  {
    preset: 'slack',
    request: () => ({
      body: '{"token":"x","team_id":"T1","type":"event_callback","event_id":"Ev08MFMKH6","event":{"type":"app_mention"}}',
      url: 'https://example.com/prod/webhooks/slack',
    }),
    signsTime: true,
    signatureHeader: 'X-Slack-Signature',
    // api.slack.com/authentication/verifying-requests-from-slack: v0= hex HMAC-SHA256 of "v0:<ts>:<body>"
    sign: (secret, body, at) => ({
      'X-Slack-Request-Timestamp': String(seconds(at)),
      'X-Slack-Signature': `v0=${hmac('sha256', secret, `v0:${seconds(at)}:${body}`, 'hex')}`,
    }),
    sdkAccepts: (secret, headers, body) =>
      verdict(() =>
        slackVerify({
          signingSecret: secret,
          requestSignature: headers['X-Slack-Signature'],
          requestTimestamp: Number(headers['X-Slack-Request-Timestamp']),
          body,
        }),
      ),
  },
  {
    preset: 'square',
    request: () => ({
      body: '{"merchant_id":"6SSW7HV8K2ST5","type":"payment.created","event_id":"6a8f5f28-54a1-4eb0-a98a-3111513fd4fc"}',
      url: 'https://example.com/prod/webhooks/square',
    }),
    signsTime: false,
    signatureHeader: 'X-Square-HmacSha256-Signature',
    // developer.squareup.com webhooks step 3: base64 HMAC-SHA256 of the notification URL + body
    sign: (secret, body, _at, url) => ({
      'X-Square-HmacSha256-Signature': hmac('sha256', secret, url + body, 'base64'),
    }),
    sdkAccepts: (secret, headers, body, url) =>
      verdict(() =>
        WebhooksHelper.verifySignature({
          requestBody: body,
          signatureHeader: headers['X-Square-HmacSha256-Signature'],
          signatureKey: secret,
          notificationUrl: url,
        }),
      ),
  },
  {
    preset: 'linear',
    // the time travels inside the signed body
    request: (at) => ({ body: linearBody(at), url: 'https://example.com/prod/webhooks/linear' }),
    signsTime: true,
    signatureHeader: 'Linear-Signature',
    // linear.app/developers/webhooks: hex HMAC-SHA256 of the body, webhookTimestamp (ms) inside it
    sign: (secret, body) => ({ 'Linear-Signature': hmac('sha256', secret, body, 'hex') }),
    sdkAccepts: (secret, headers, body) =>
      verdict(() => new LinearWebhookClient(secret).verify(Buffer.from(body), headers['Linear-Signature'])),
  },
  {
    preset: 'paddle',
    request: () => ({
      body: '{"event_id":"evt_01hv8x2acma2gz4qx4yd3d1qkh","event_type":"transaction.completed","data":{}}',
      url: 'https://example.com/prod/webhooks/paddle',
    }),
    signsTime: true,
    signatureHeader: 'Paddle-Signature',
    // developer.paddle.com webhooks: "ts=<ts>;h1=<hex HMAC-SHA256 of "<ts>:<body>">"
    sign: (secret, body, at) => ({
      'Paddle-Signature': `ts=${seconds(at)};h1=${hmac('sha256', secret, `${seconds(at)}:${body}`, 'hex')}`,
    }),
    sdkAccepts: (secret, headers, body) =>
      verdict(() => new PaddleWebhooks().isSignatureValid(body, secret, headers['Paddle-Signature'])),
  },
  twilioForm(
    'twilio (form parameters)',
    'AccountSid=AC123&Body=hello+there&From=%2B14158141829&MessageSid=SM1&To=%2B15558675310',
  ),
  twilioForm(
    'twilio (a parameter repeated, a value twice)',
    'AccountSid=AC123&Event=initiated&Event=completed&Event=initiated&Event=answered&CallSid=CA1',
  ),
  {
    preset: 'twilio',
    label: 'twilio (bodySHA256, JSON body)',
    // the bodySHA256 form: the signed URL carries a digest of the body
    request: () => {
      const body = '{"eventType":"com.twilio.messaging.message.delivered","data":{"messageSid":"SM1"}}';
      return { body, url: `https://example.com/prod/webhooks/twilio?bodySHA256=${twilio.getExpectedBodyHash(body)}` };
    },
    signsTime: false,
    signatureHeader: 'X-Twilio-Signature',
    sign: (secret, _body, _at, url) => ({ 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(secret, url, {}) }),
    sdkAccepts: async (secret, headers, body, url) =>
      verdict(() => twilio.validateRequestWithBody(secret, headers['X-Twilio-Signature'], url, body)),
  },
];

/** A form-encoded Twilio request, signed with twilio's own signer. */
function twilioForm(label: string, body: string): ProviderCase {
  return {
    preset: 'twilio',
    label,
    request: () => ({ body, url: 'https://example.com/prod/webhooks/twilio?source=sms' }),
    signsTime: false,
    signatureHeader: 'X-Twilio-Signature',
    sign: (secret, signedBody, _at, url) => ({
      'X-Twilio-Signature': twilio.getExpectedTwilioSignature(secret, url, formParams(signedBody)),
    }),
    sdkAccepts: async (secret, headers, sentBody, url) =>
      verdict(() => twilio.validateRequest(secret, headers['X-Twilio-Signature'], url, formParams(sentBody))),
  };
}

/** Twilio's SDK takes the parsed parameters, as express.urlencoded hands them over. */
export function formParams(body: string): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const before = params[name];
    params[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return params;
}

function linearBody(at: Date): string {
  return JSON.stringify({
    action: 'create',
    type: 'Issue',
    data: { id: '2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9', title: 'txonce' },
    webhookTimestamp: at.getTime(),
  });
}
