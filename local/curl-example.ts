import type { WebhookScheme } from '../lib/index.js';

const BODY =
  '{"type":"invoice.paid","data":{"invoiceId":"inv_\'$ID\'","customerId":"cus_1","amount":1250,"currency":"EUR"}}';

/**
 * A shell snippet that signs a fresh webhook and POSTs it: the signature is computed when it is
 * pasted (openssl), so it never goes stale against the timestamp tolerance.
 */
export function curlExample(scheme: WebhookScheme, url: string, secret: string): string {
  const common = [`URL='${url}'`, `SECRET='${secret}'`, 'ID=$(date +%s%N); TS=$(date +%s)'];
  if (scheme === 'standard-webhooks') {
    return [
      ...common,
      `BODY='${BODY}'`,
      `KEY=$(printf '%s' "\${SECRET#whsec_}" | base64 -d | od -An -tx1 | tr -d ' \\n')`,
      'SIG=$(printf \'%s\' "msg_$ID.$TS.$BODY" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY -binary | base64)',
      'curl -s -w \' %{http_code}\\n\' "$URL" -H \'content-type: application/json\' -H "webhook-id: msg_$ID" -H "webhook-timestamp: $TS" -H "webhook-signature: v1,$SIG" -d "$BODY"',
    ].join('\n');
  }
  if (scheme === 'stripe') {
    return [
      ...common,
      `BODY='{"id":"evt_'$ID'","type":"invoice.paid","data":{"invoiceId":"inv_'$ID'","customerId":"cus_1","amount":1250,"currency":"EUR"}}'`,
      'SIG=$(printf \'%s\' "$TS.$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed \'s/^.* //\')',
      'curl -s -w \' %{http_code}\\n\' "$URL" -H \'content-type: application/json\' -H "Stripe-Signature: t=$TS,v1=$SIG" -d "$BODY"',
    ].join('\n');
  }
  return [
    ...common,
    `BODY='${BODY}'`,
    'SIG=$(printf \'%s\' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed \'s/^.* //\')',
    'curl -s -w \' %{http_code}\\n\' "$URL" -H \'content-type: application/json\' -H "X-Hub-Signature-256: sha256=$SIG" -H "X-GitHub-Delivery: $ID" -d "$BODY"',
  ].join('\n');
}
