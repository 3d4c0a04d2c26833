import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyWebhookSignature, WebhookVerificationError } from '../../../lib/index.js';
import { type ProviderCase, providerCases } from '../../support/provider-verifiers.js';

// Each preset against the provider's own SDK verifier (devDependencies only): signed with the
// provider's documented method, both must accept the valid request and reject the others.

const SECRET = 'provider-secret-0f3a9c';
const OTHER_SECRET = 'provider-secret-other';

/** txonce's verdict: accepted, or the reason it rejected. */
function txonce(provider: ProviderCase, headers: Record<string, string>, body: string, url: string): string {
  try {
    verifyWebhookSignature({ scheme: provider.preset, secrets: SECRET, headers, rawBody: body, url });
    return 'accepted';
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
}

interface Sent {
  headers: Record<string, string>;
  body: string;
  url: string;
}

const CASES: [string, (provider: ProviderCase) => Sent | undefined, string[]][] = [
  ['a valid request', (p) => signed(p, SECRET, new Date()), ['accepted']],
  [
    'a tampered body',
    (p) => {
      const sent = signed(p, SECRET, new Date());
      return { ...sent, body: sent.body.replace('1', '2') };
    },
    ['bad-signature'],
  ],
  ['a request signed with another secret', (p) => signed(p, OTHER_SECRET, new Date()), ['bad-signature']],
  [
    'a request signed ten minutes ago',
    (p) => (p.signsTime ? signed(p, SECRET, new Date(Date.now() - 600_000)) : undefined),
    ['timestamp-out-of-tolerance'],
  ],
  [
    'a garbled signature header',
    (p) => {
      const sent = signed(p, SECRET, new Date());
      return { ...sent, headers: { ...sent.headers, [p.signatureHeader]: 'v9=not;a=signature' } };
    },
    ['malformed-header', 'bad-signature'],
  ],
  [
    'no signature header',
    (p) => {
      const sent = signed(p, SECRET, new Date());
      const headers = { ...sent.headers };
      delete headers[p.signatureHeader];
      return { ...sent, headers };
    },
    ['missing-header'],
  ],
];

function signed(provider: ProviderCase, secret: string, at: Date): Sent {
  const { body, url } = provider.request(at);
  return { headers: provider.sign(secret, body, at, url), body, url };
}

describe.each(providerCases.map((provider) => [provider.label ?? provider.preset, provider] as const))(
  '%s: txonce and the provider SDK agree',
  (_, provider) => {
    it('rejects any change to one byte of the body, or keys it as the same event (a re-encoded form)', () => {
      const sent = signed(provider, SECRET, new Date());
      const verify = (rawBody: Buffer) =>
        verifyWebhookSignature({
          scheme: provider.preset,
          secrets: SECRET,
          headers: sent.headers,
          rawBody,
          url: sent.url,
        });
      const bytes = Buffer.from(sent.body);
      const { id } = verify(bytes);
      fc.assert(
        fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, delta) => {
          const changed = Buffer.from(bytes);
          changed[at] = ((changed[at] as number) + delta) % 256;
          try {
            expect(verify(changed).id).toBe(id);
          } catch (error) {
            expect(error).toBeInstanceOf(WebhookVerificationError);
          }
        }),
        { numRuns: 300 },
      );
    });

    it.each(CASES)('on %s', async (_case, build, reasons) => {
      const sent = build(provider);
      if (!sent) return; // the provider signs no time: nothing can be stale
      const ours = txonce(provider, sent.headers, sent.body, sent.url);
      const theirs = await provider.sdkAccepts(SECRET, sent.headers, sent.body, sent.url);
      expect(reasons).toContain(ours);
      expect(theirs).toBe(ours === 'accepted');
    });
  },
);

describe("the providers' published example vectors", () => {
  it("Slack: the slash command of 'Verifying requests from Slack'", () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const webhook = verifyWebhookSignature({
      scheme: 'slack',
      secrets: '8f742231b10e8888abcd99yyyzzz85a5',
      headers: {
        'X-Slack-Request-Timestamp': '1531420618',
        'X-Slack-Signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      },
      rawBody: body,
      now: new Date(1531420618_000),
    });
    expect(webhook.timestamp).toEqual(new Date(1531420618_000));
  });
});
