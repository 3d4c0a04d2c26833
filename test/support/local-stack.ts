import { signWebhook } from '../../local/sign.js';
import type { LocalStack } from '../../local/stack.js';

/** Posts a signed `invoice.paid` webhook (id `id`, invoice `inv_<id>`) to a local stack; the HTTP status. */
export async function sendInvoice(stack: LocalStack, id: string, customerId: string, amount: number): Promise<number> {
  const body = JSON.stringify({
    type: 'invoice.paid',
    data: { invoiceId: `inv_${id}`, customerId, amount, currency: 'EUR' },
  });
  const response = await fetch(stack.webhookUrl, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...signWebhook(stack.scheme, stack.secret, id, body) },
  });
  await response.arrayBuffer();
  return response.status;
}
