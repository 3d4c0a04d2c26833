import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EVENT_ATTRIBUTES } from '../../../lib/contracts/sqs-attributes.js';
import { type WebhookMessage, webhookMessageInput } from '../../../lib/webhooks/queued-message.js';

const message: WebhookMessage = {
  source: 'github',
  scheme: 'github',
  key: 'body-sha256:abc',
  body: '{"action":"opened"}',
  receivedAt: '2026-12-06T04:19:10.123Z',
  messageGroupId: 'repo-1',
};

describe('webhookMessageInput: the SendMessage of one accepted webhook', () => {
  it('gives a FIFO queue the message group and a deduplication id from the key', () => {
    const input = webhookMessageInput('https://sqs.eu-west-1.amazonaws.com/1/events.fifo', message);
    expect(input.MessageGroupId).toBe('repo-1');
    expect(input.MessageDeduplicationId).toBe(createHash('sha256').update('body-sha256:abc').digest('hex'));
    expect(input.MessageBody).toBe(message.body);
    expect(input.MessageAttributes?.[EVENT_ATTRIBUTES.key]).toStrictEqual({
      DataType: 'String',
      StringValue: 'body-sha256:abc',
    });
  });

  it('gives a standard queue neither, which it would refuse', () => {
    const input = webhookMessageInput('https://sqs.eu-west-1.amazonaws.com/1/events', message);
    expect(input.MessageGroupId).toBeUndefined();
    expect(input.MessageDeduplicationId).toBeUndefined();
  });
});
