import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import type { VerifyWebhookOptions } from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { formParams } from '../../support/provider-verifiers.js';
import { handlerWith } from '../../support/webhook-receiver.js';

const SECRET = 'challenge-secret-7d1e';
const now = () => Math.floor(Date.now() / 1000);
const hex = (data: string, secret = SECRET) => createHmac('sha256', secret).update(data).digest('hex');

function receiver(options: VerifyWebhookOptions) {
  const { handler, seen } = handlerWith(options);
  const send = async (body: string, headers: Record<string, string>, event: Partial<APIGatewayProxyEvent> = {}) =>
    (await handler(
      { body, headers, isBase64Encoded: false, ...event } as never,
      lambdaContext(),
    )) as APIGatewayProxyResult;
  return { send, seen };
}

/** Slack and Zoom sign "v0:<ts>:<body>", the signature "v0=<hex>". */
const v0 = (body: string, secret = SECRET, ts = now()) => ({
  ts: String(ts),
  signature: `v0=${hex(`v0:${ts}:${body}`, secret)}`,
});

describe("Slack's url_verification", () => {
  const { send, seen } = receiver({ scheme: 'slack', secrets: SECRET });
  const body =
    '{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}';
  const signed = (secret = SECRET) => {
    const { ts, signature } = v0(body, secret);
    return { 'X-Slack-Request-Timestamp': ts, 'X-Slack-Signature': signature };
  };

  it('is answered with the challenge, and the handler never sees it (nothing is queued)', async () => {
    const response = await send(body, signed());
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    expect(seen).toHaveLength(0);
  });

  it('is refused like any request when its signature does not verify', async () => {
    const response = await send(body, signed('another-secret'));
    expect(response.statusCode).toBe(401);
    expect(response.body).not.toContain('3eZbrw1a');
    expect(seen).toHaveLength(0);
  });

  it('leaves an event callback to the handler, with event_id as the id', async () => {
    const event = '{"type":"event_callback","event_id":"Ev08MFMKH6","event":{"type":"app_mention"}}';
    const { ts, signature } = v0(event);
    const response = await send(event, { 'X-Slack-Request-Timestamp': ts, 'X-Slack-Signature': signature });
    expect(response).toMatchObject({ statusCode: 202, body: 'Ev08MFMKH6' });
    expect(seen[0]?.webhook).toMatchObject({ scheme: 'slack', id: 'Ev08MFMKH6' });
  });
});

describe("Zoom's endpoint.url_validation", () => {
  const { send, seen } = receiver({ scheme: 'zoom', secrets: ['new-zoom-secret', SECRET] });
  const body =
    '{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}';

  it('is answered with the plain token and its HMAC under the secret that verified the request', async () => {
    const { ts, signature } = v0(body);
    const response = await send(body, { 'x-zm-request-timestamp': ts, 'x-zm-signature': signature });
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'content-type': 'application/json' });
    // Zoom's documented answer: HMAC-SHA256 (hex) of plainToken with the secret token
    expect(JSON.parse(response.body)).toEqual({
      plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
      encryptedToken: hex('qgg8vlvZRS6UYooatFL8Aw'),
    });
    expect(seen).toHaveLength(0);
  });

  it('refuses a validation request without a plain token (400), and a stale one (401)', async () => {
    const empty = '{"payload":{},"event":"endpoint.url_validation"}';
    const signedEmpty = v0(empty);
    const refused = await send(empty, {
      'x-zm-request-timestamp': signedEmpty.ts,
      'x-zm-signature': signedEmpty.signature,
    });
    expect(refused.statusCode).toBe(400);
    expect(JSON.parse(refused.body).detail).toBe('the endpoint.url_validation request has no plainToken');
    const stale = v0(body, SECRET, now() - 600);
    const response = await send(body, { 'x-zm-request-timestamp': stale.ts, 'x-zm-signature': stale.signature });
    expect(JSON.parse(response.body).reason).toBe('timestamp-out-of-tolerance');
  });

  it('gives other events to the handler, keyed by a digest of the signed body (Zoom signs no id)', async () => {
    const event = '{"event":"meeting.started","event_ts":1654503849680,"payload":{"object":{"id":"1"}}}';
    const { ts, signature } = v0(event);
    const response = await send(event, { 'x-zm-request-timestamp': ts, 'x-zm-signature': signature });
    expect(response.statusCode).toBe(202);
    expect(response.body).toMatch(/^body-sha256:[0-9a-f]{64}$/);
  });
});

describe('Twilio through the middleware: the URL rebuilt from the API Gateway event', () => {
  const form = 'AccountSid=AC123&Body=hi+there&MessageSid=SM1';
  const event = (query: Record<string, string[]>) => ({
    requestContext: { path: '/prod/webhooks/twilio' } as never,
    path: '/webhooks/twilio',
    multiValueQueryStringParameters: query,
  });

  it('verifies a form-encoded request against https://<Host><stage path>?<query>', async () => {
    const { send, seen } = receiver({ scheme: 'twilio', secrets: SECRET });
    const url = 'https://abc.execute-api.eu-west-1.amazonaws.com/prod/webhooks/twilio?source=sms';
    const signature = twilio.getExpectedTwilioSignature(SECRET, url, formParams(form));
    const headers = { Host: 'abc.execute-api.eu-west-1.amazonaws.com', 'X-Twilio-Signature': signature };
    expect((await send(form, headers, event({ source: ['sms'] }))).statusCode).toBe(202);
    expect(seen[0]?.webhook.id).toMatch(/^params-sha256:[0-9a-f]{64}$/);
    // the same request posted to another path was signed for another URL
    expect(
      (await send(form, headers, { ...event({ source: ['sms'] }), requestContext: { path: '/prod/other' } as never }))
        .statusCode,
    ).toBe(401);
  });

  it('keys a re-encoded form body as the same event: Twilio signs the decoded parameters, not the bytes', async () => {
    const { send } = receiver({ scheme: 'twilio', secrets: SECRET, url: 'https://hooks.example.com/twilio' });
    const sent = 'From=%2B14158141829&Body=hello+there';
    const headers = {
      'X-Twilio-Signature': twilio.getExpectedTwilioSignature(
        SECRET,
        'https://hooks.example.com/twilio',
        formParams(sent),
      ),
    };
    const first = await send(sent, headers);
    const reencoded = await send('Body=hello%20there&From=%2b14158141829', headers);
    expect(first.statusCode).toBe(202);
    expect(reencoded).toEqual(first);
  });

  it('refuses a url option that is neither a string nor a function, when the middleware is created', () => {
    expect(() => receiver({ scheme: 'twilio', secrets: SECRET, url: 42 as never })).toThrow(
      new TypeError('verifyWebhook: url must be the URL the provider posts to, or a function of the event (got 42).'),
    );
  });

  it('verifies the bodySHA256 form with a configured url, and refuses a body that does not match the digest', async () => {
    const body = '{"data":{"messageSid":"SM1"}}';
    const digest = twilio.getExpectedBodyHash(body);
    const url = `https://hooks.example.com/twilio?bodySHA256=${digest}`;
    const { send } = receiver({ scheme: 'twilio', secrets: SECRET, url });
    const headers = { 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(SECRET, url, {}) };
    expect((await send(body, headers)).statusCode).toBe(202);
    const tampered = await send('{"data":{"messageSid":"SM2"}}', headers);
    expect(JSON.parse(tampered.body)).toMatchObject({
      reason: 'bad-signature',
      detail: 'the body does not match bodySHA256 in the signed URL',
    });
  });
});
