import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../local/processes.js';
import { postWithRetries } from '../../local/webhook-sender.js';

// The demo (and the chaos run) send as webhook providers do: a 5xx, a 429 or a refused
// connection is tried again with backoff, under the same webhook id; any other answer is final.
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A receiver that answers with `statuses` in turn (the last one from then on); counts requests and their ids. */
async function receiver(statuses: number[], port = 0) {
  const seen: string[] = [];
  const server = createServer((request, response) => {
    seen.push(String(request.headers['webhook-id']));
    response.statusCode = statuses[Math.min(seen.length - 1, statuses.length - 1)];
    response.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, seen };
}

const quick = { minDelayMs: 10, maxDelayMs: 50 };
const request = () => ({ body: '{}', headers: { 'webhook-id': 'msg_1' } });

describe('a webhook sender that retries as providers do', () => {
  it('tries again after 503s and 502s, with the same webhook id, until it is accepted', async () => {
    const { url, seen } = await receiver([503, 502, 202]);
    expect(await postWithRetries(url, request, quick)).toEqual({ status: 202, attempts: 3 });
    expect(seen).toEqual(['msg_1', 'msg_1', 'msg_1']);
  });

  it('does not retry an answer the receiver means (401)', async () => {
    const { url, seen } = await receiver([401, 202]);
    expect(await postWithRetries(url, request, quick)).toEqual({ status: 401, attempts: 1 });
    expect(seen).toHaveLength(1);
  });

  it('gives up after its retries and reports the last status', async () => {
    const { url } = await receiver([503]);
    expect(await postWithRetries(url, request, { ...quick, retries: 2 })).toEqual({ status: 503, attempts: 3 });
  });

  it('tries again while the receiver is not listening yet', async () => {
    const port = await freePort();
    setTimeout(() => void receiver([202], port), 300);
    const result = await postWithRetries(`http://127.0.0.1:${port}/webhooks`, request, quick);
    expect(result.status).toBe(202);
    expect(result.attempts).toBeGreaterThan(1);
  });
});
