import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListTopicsCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { sendInvoice } from '../support/local-stack.js';
import { eventually } from '../support/sqs.js';
import { synthesizeStack } from '../support/template.js';

// The local stack listens on 127.0.0.1, but any process on the machine (or a web page's
// fetch) can reach its ports: the receipts partner must take only what SNS signed for the
// receipts topic, as a real subscriber checks, and no other route may reach it.
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ cdkOut: synthesizeStack(), port: 0 });
}, 120_000);
afterAll(() => stack?.stop());

async function receipts(invoiceId: string): Promise<number | undefined> {
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: stack.dynamoEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    }),
  );
  const { Item } = await documents.send(
    new GetCommand({ TableName: stack.resources.receiptsTable, Key: { pk: invoiceId }, ConsistentRead: true }),
  );
  return Item?.receipts;
}

/** An SNS notification as a forger would write it: the receipt, any signature, any certificate. */
function forgedNotification(invoiceId: string, fields: Record<string, string> = {}) {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: 'forged-1',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:anything',
    Message: JSON.stringify({ id: `msg_${invoiceId}`, type: 'receipt', data: { invoiceId, customerId: 'cus_forged' } }),
    Timestamp: new Date().toISOString(),
    SignatureVersion: '2',
    Signature: Buffer.from('not a signature').toString('base64'),
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-forged.pem',
    ...fields,
  });
}

/** A raw HTTP request: the path as written, not normalized as fetch would. */
function rawPost(path: string, body: string): Promise<number> {
  const { hostname, port } = new URL(stack.receiptsUrl);
  return new Promise((resolve, reject) => {
    const sent = request(
      { hostname, port, path, method: 'POST', headers: { 'content-type': 'text/plain' } },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    sent.on('error', reject);
    sent.end(body);
  });
}

describe('the local receipts partner', () => {
  it('refuses a notification without a valid SNS signature, and applies nothing', async () => {
    const unsigned = JSON.parse(forgedNotification('inv_forged_1'));
    delete unsigned.Signature;
    for (const body of [
      JSON.stringify(unsigned),
      forgedNotification('inv_forged_1'),
      forgedNotification('inv_forged_1', { SigningCertURL: 'https://attacker.example/cert.pem' }),
    ]) {
      const response = await fetch(stack.receiptsUrl, { method: 'POST', body });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('Not a notification from SNS');
    }
    expect(await receipts('inv_forged_1')).toBeUndefined();
  });

  it('still applies what SNS delivers for the receipts topic', async () => {
    expect(await sendInvoice(stack, 'msg_signed_receipt', 'cus_signed', 10)).toBe(202);
    await eventually(
      'the receipt is applied once',
      async () => (await receipts('inv_msg_signed_receipt')) === 1,
      30_000,
    );
  });

  it('refuses a genuine notification whose receipt was changed on the way', async () => {
    // listen on the receipts topic beside the partner, to get a notification moto really signed
    const captured: string[] = [];
    const listener = createServer((incoming, answer) => {
      let body = '';
      incoming.on('data', (chunk) => {
        body += chunk;
      });
      incoming.on('end', () => {
        captured.push(body);
        answer.end();
      });
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    try {
      const sns = new SNSClient({
        endpoint: stack.motoEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      });
      const { Topics = [] } = await sns.send(new ListTopicsCommand({}));
      const topic = Topics.map((each) => each.TopicArn as string).find((arn) => /Receipts/i.test(arn));
      const endpoint = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/`;
      await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'http', Endpoint: endpoint }));
      expect(await sendInvoice(stack, 'msg_tampered', 'cus_tampered', 10)).toBe(202);
      await eventually('a signed receipt notification is captured', async () =>
        captured.some((body) => body.includes('inv_msg_tampered')),
      );
      const genuine = JSON.parse(captured.find((body) => body.includes('inv_msg_tampered')) as string);
      const tampered = { ...genuine, Message: genuine.Message.replaceAll('inv_msg_tampered', 'inv_tampered_2') };
      const response = await fetch(stack.receiptsUrl, { method: 'POST', body: JSON.stringify(tampered) });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('the signature does not match');
      expect(await receipts('inv_tampered_2')).toBeUndefined();
    } finally {
      listener.close();
    }
  });

  it('cannot be reached through another route by dot segments', async () => {
    for (const path of ['/webhooks/../receipts', '/webhooks/%2e%2e/receipts', '/x/./../receipts'])
      expect(await rawPost(path, forgedNotification('inv_forged_2'))).toBe(404);
    expect(await receipts('inv_forged_2')).toBeUndefined();
  });
});
