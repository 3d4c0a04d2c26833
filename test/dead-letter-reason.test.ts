import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, type Message } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { sendToDeadLetter } from '../lib/dead-letter.js';
import { DEAD_LETTER_ATTRIBUTES, PermanentError, SchemaValidationError } from '../lib/index.js';
import { drainMessages, localSqs } from './support/sqs.js';

// What the DLQ keeps of a record it could never apply, when the record or the error is unusual:
// nothing in the reason may be lost or made up (read back from moto's queue).

const sqs = localSqs();
let dlqUrl: string;
let fifoDlqUrl: string;

beforeAll(async () => {
  const name = `reasons-${randomUUID().slice(0, 8)}`;
  [dlqUrl, fifoDlqUrl] = await Promise.all(
    [{ QueueName: name }, { QueueName: `${name}.fifo`, Attributes: { FifoQueue: 'true' } }].map(
      async (input) => (await sqs.send(new CreateQueueCommand(input))).QueueUrl as string,
    ),
  );
});

/** A record as Lambda hands it over, with only what `parts` gives beyond a body and a message id. */
function record(parts: Partial<SQSRecord> = {}): SQSRecord {
  return { messageId: randomUUID(), body: '{"id":1}', messageAttributes: {}, ...parts } as SQSRecord;
}

async function deadLettered(rec: SQSRecord, key: string | undefined, error: unknown, queueUrl = dlqUrl) {
  await sendToDeadLetter({ client: sqs, queueUrl }, rec, key, error);
  const messages = await drainMessages(sqs, queueUrl);
  expect(messages).toHaveLength(1);
  return messages[0] as Message;
}

const attribute = (message: Message, name: string) => message.MessageAttributes?.[name]?.StringValue;

describe('the reason a dead letter carries', () => {
  it('names a thrown non-Error as NonError with its text, and an empty message as "(no message)"', async () => {
    const thrown = await deadLettered(record(), 'k-1', 'a plain string');
    expect(attribute(thrown, DEAD_LETTER_ATTRIBUTES.errorName)).toBe('NonError');
    expect(attribute(thrown, DEAD_LETTER_ATTRIBUTES.errorMessage)).toBe('a plain string');
    const empty = await deadLettered(record(), 'k-2', new PermanentError(''));
    expect(attribute(empty, DEAD_LETTER_ATTRIBUTES.errorName)).toBe('PermanentError');
    expect(attribute(empty, DEAD_LETTER_ATTRIBUTES.errorMessage)).toBe('(no message)');
  });

  it('keeps the first 1024 characters of a long message', async () => {
    const long = await deadLettered(record(), 'k-3', new PermanentError(`${'a'.repeat(1024)}b`));
    expect(attribute(long, DEAD_LETTER_ATTRIBUTES.errorMessage)).toBe('a'.repeat(1024));
  });

  it('says what it knows of the record: receive count 1 and source "unknown" when Lambda gave none, no key when there is none', async () => {
    const rec = record();
    const bare = await deadLettered(rec, undefined, new PermanentError('no'));
    expect(bare.Body).toBe('{"id":1}');
    expect(attribute(bare, DEAD_LETTER_ATTRIBUTES.messageId)).toBe(rec.messageId);
    expect(bare.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.receiveCount]).toMatchObject({
      DataType: 'Number',
      StringValue: '1',
    });
    expect(attribute(bare, DEAD_LETTER_ATTRIBUTES.sourceQueue)).toBe('unknown');
    expect(bare.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.key]).toBeUndefined();
    expect(bare.Attributes?.MessageGroupId).toBeUndefined(); // a standard DLQ takes no group
    expect(Date.parse(attribute(bare, DEAD_LETTER_ATTRIBUTES.failedAt) ?? '')).toBeGreaterThan(Date.now() - 60_000);

    const known = await deadLettered(
      record({
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:events',
        attributes: { ApproximateReceiveCount: '4' } as SQSRecord['attributes'],
      }),
      'k-4',
      new PermanentError('no'),
    );
    expect(attribute(known, DEAD_LETTER_ATTRIBUTES.receiveCount)).toBe('4');
    expect(attribute(known, DEAD_LETTER_ATTRIBUTES.sourceQueue)).toBe('arn:aws:sqs:us-east-1:123456789012:events');
    expect(attribute(known, DEAD_LETTER_ATTRIBUTES.key)).toBe('k-4');
  });

  it('passes the record’s own attributes on, binary ones as the same bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 250]);
    const rec = record({
      messageAttributes: {
        tenant: { dataType: 'String', stringValue: 'acme' },
        blob: { dataType: 'Binary', binaryValue: bytes.toString('base64') },
      } as unknown as SQSRecord['messageAttributes'],
    });
    const message = await deadLettered(rec, 'k-5', new PermanentError('no'));
    expect(attribute(message, 'tenant')).toBe('acme');
    expect(Buffer.from(message.MessageAttributes?.blob?.BinaryValue ?? []).equals(bytes)).toBe(true);
    expect(message.MessageAttributes?.blob?.DataType).toBe('Binary');
    expect(message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.originalAttributes]).toBeUndefined();
  });

  it('passes the record’s own attributes one for one up to SQS’s 10, counting its own idempotencyKey once', async () => {
    const own = (count: number) =>
      Object.fromEntries([
        ['idempotencyKey', { dataType: 'String', stringValue: 'k-own' }],
        ...Array.from({ length: count }, (_, index) => [`a${index}`, { dataType: 'String', stringValue: `v${index}` }]),
      ]) as SQSRecord['messageAttributes'];
    // 7 reason attributes (the key among them) + 3 of its own = 10: each kept as it was
    const fits = await deadLettered(record({ messageAttributes: own(3) }), 'k-own', new PermanentError('no'));
    expect([attribute(fits, 'a0'), attribute(fits, 'a2'), attribute(fits, DEAD_LETTER_ATTRIBUTES.key)]).toEqual([
      'v0',
      'v2',
      'k-own',
    ]);
    expect(fits.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.originalAttributes]).toBeUndefined();
    // one more would make 11: they travel together as one JSON attribute
    const folded = await deadLettered(record({ messageAttributes: own(4) }), 'k-own', new PermanentError('no'));
    expect(folded.MessageAttributes?.a0).toBeUndefined();
    expect(JSON.parse(attribute(folded, DEAD_LETTER_ATTRIBUTES.originalAttributes) ?? '{}')).toMatchObject({
      a3: { dataType: 'String', stringValue: 'v3' },
    });
  });

  it('cuts a single issue too long for the attribute at 4096 characters rather than fail the send', async () => {
    const issue = { message: 'x'.repeat(5000), path: ['body'] };
    const message = await deadLettered(record(), 'k-10', new SchemaValidationError([issue]));
    expect(attribute(message, DEAD_LETTER_ATTRIBUTES.validationIssues)).toBe(JSON.stringify([issue]).slice(0, 4096));
  });

  it('keeps a long list of schema issues readable: whole issues, then how many more, within 4096 characters', async () => {
    const issues = Array.from({ length: 200 }, (_, index) => ({
      message: `is wrong ${'x'.repeat(20)}`,
      path: [index],
    }));
    const message = await deadLettered(record(), 'k-6', new SchemaValidationError(issues));
    const json = attribute(message, DEAD_LETTER_ATTRIBUTES.validationIssues) ?? '';
    expect(json.length).toBeLessThanOrEqual(4096);
    const kept = JSON.parse(json) as { message: string; path: unknown[] }[];
    const last = kept.at(-1);
    expect(last).toEqual({ message: `(${200 - (kept.length - 1)} more)`, path: [] });
    expect(kept.slice(0, -1)).toEqual(issues.slice(0, kept.length - 1));
    expect(kept.length).toBeGreaterThan(50);

    const few = await deadLettered(record(), 'k-7', new SchemaValidationError(issues.slice(0, 2)));
    expect(JSON.parse(attribute(few, DEAD_LETTER_ATTRIBUTES.validationIssues) ?? '')).toEqual(issues.slice(0, 2));
  });

  it('keeps issues whose JSON is exactly 4096 characters whole: nothing dropped, no "more" entry', async () => {
    const second = { message: '', path: ['b'] };
    const frame = JSON.stringify([{ message: '', path: ['a'] }, second]).length;
    const issues = [{ message: 'x'.repeat(4096 - frame), path: ['a'] }, second];
    expect(JSON.stringify(issues)).toHaveLength(4096);
    const message = await deadLettered(record(), 'k-11', new SchemaValidationError(issues));
    expect(JSON.parse(attribute(message, DEAD_LETTER_ATTRIBUTES.validationIssues) ?? '')).toEqual(issues);
  });

  it('to a FIFO DLQ: the record’s group, or one group of its own when it has none; deduplicated on the message id', async () => {
    const rec = record();
    const message = await deadLettered(rec, 'k-8', new PermanentError('no'), fifoDlqUrl);
    expect(message.Attributes?.MessageGroupId).toBe('txonce-dead-letter');
    expect(message.Attributes?.MessageDeduplicationId).toBe(rec.messageId);
    const grouped = await deadLettered(
      record({ attributes: { MessageGroupId: 'customer-7' } as SQSRecord['attributes'] }),
      'k-9',
      new PermanentError('no'),
      fifoDlqUrl,
    );
    expect(grouped.Attributes?.MessageGroupId).toBe('customer-7');
  });
});
