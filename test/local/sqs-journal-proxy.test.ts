import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSqsJournalProxy } from '../../local/sqs-journal-proxy.js';

// While moto is being brought back, its topics exist again before the receipts partner is
// subscribed again: a receipt published in that moment would reach no one, and the publisher
// would count it delivered. The functions' SNS calls pass the proxy, which holds publishes then.
const forwarded: string[] = [];
let moto: Server;
let holding = false;
let proxy: Awaited<ReturnType<typeof startSqsJournalProxy>>;

beforeAll(async () => {
  moto = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      forwarded.push(body);
      response.end('<ok/>');
    });
  });
  await new Promise<void>((resolve) => moto.listen(0, '127.0.0.1', resolve));
  proxy = await startSqsJournalProxy({
    target: () => `http://127.0.0.1:${(moto.address() as AddressInfo).port}`,
    onSend: () => undefined,
    holdPublishes: () => holding,
  });
});
afterAll(async () => {
  await proxy.stop();
  moto.close();
});

const post = (body: string) =>
  fetch(proxy.url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });

describe('the local endpoint of the functions', () => {
  it('answers 503 to an SNS Publish while publishes are held, and passes everything else on', async () => {
    holding = true;
    for (const action of ['Publish', 'PublishBatch']) {
      const response = await post(`Action=${action}&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At&Message=x`);
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('ServiceUnavailable');
    }
    expect(forwarded).toEqual([]);
    expect((await post('Action=ListTopics')).status).toBe(200);
    holding = false;
    expect((await post('Action=Publish&Message=x')).status).toBe(200);
    expect(forwarded).toEqual(['Action=ListTopics', 'Action=Publish&Message=x']);
  });
});
