import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, type Message } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyBackAttributes, sendToDeadLetter } from '../../../lib/batch/dead-letter.js';
import {
  DEAD_LETTER_ATTRIBUTES,
  PermanentError,
  readDeadLetterReason,
  SchemaValidationError,
} from '../../../lib/index.js';
import { drainMessages, localSqs } from '../../support/sqs.js';

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
const reason = (message: Message) => readDeadLetterReason(message.MessageAttributes);

describe('the reason a dead letter carries', () => {
  it('names a thrown non-Error as NonError with its text, and an empty message as "(no message)"', async () => {
    const thrown = await deadLettered(record(), 'k-1', 'a plain string');
    expect(reason(thrown)).toMatchObject({ errorName: 'NonError', errorMessage: 'a plain string' });
    const empty = await deadLettered(record(), 'k-2', new PermanentError(''));
    expect(reason(empty)).toMatchObject({ errorName: 'PermanentError', errorMessage: '(no message)' });
  });

  it('keeps the first 1024 characters of a long message', async () => {
    const long = await deadLettered(record(), 'k-3', new PermanentError(`${'a'.repeat(1024)}b`));
    expect(reason(long)?.errorMessage).toBe('a'.repeat(1024));
  });

  it('says what it knows of the record: receive count 1 and source "unknown" when Lambda gave none, no key when there is none', async () => {
    const rec = record();
    const bare = await deadLettered(rec, undefined, new PermanentError('no'));
    expect(bare.Body).toBe('{"id":1}');
    expect(reason(bare)).toMatchObject({ failedMessageId: rec.messageId, receiveCount: 1, sourceQueueArn: 'unknown' });
    expect(bare.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.key]).toBeUndefined();
    expect(bare.Attributes?.MessageGroupId).toBeUndefined(); // a standard DLQ takes no group
    expect(Date.parse(reason(bare)?.failedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);

    const known = await deadLettered(
      record({
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:events',
        attributes: { ApproximateReceiveCount: '4' } as SQSRecord['attributes'],
      }),
      'k-4',
      new PermanentError('no'),
    );
    expect(reason(known)).toMatchObject({
      receiveCount: 4,
      sourceQueueArn: 'arn:aws:sqs:us-east-1:123456789012:events',
    });
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

  it('passes the record’s own attributes one for one up to 9, counting its own idempotencyKey once, leaving one for a redrive mark', async () => {
    const own = (count: number) =>
      Object.fromEntries([
        ['idempotencyKey', { dataType: 'String', stringValue: 'k-own' }],
        ...Array.from({ length: count }, (_, index) => [`a${index}`, { dataType: 'String', stringValue: `v${index}` }]),
      ]) as SQSRecord['messageAttributes'];
    // the reason and the key + 7 of its own = 9: each kept as it was
    const fits = await deadLettered(record({ messageAttributes: own(7) }), 'k-own', new PermanentError('no'));
    expect([attribute(fits, 'a0'), attribute(fits, 'a6'), attribute(fits, DEAD_LETTER_ATTRIBUTES.key)]).toEqual([
      'v0',
      'v6',
      'k-own',
    ]);
    expect(Object.keys(fits.MessageAttributes ?? {})).toHaveLength(9);
    expect(fits.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.originalAttributes]).toBeUndefined();
    // one more would leave no room for the mark: they travel together as one JSON attribute
    const folded = await deadLettered(record({ messageAttributes: own(8) }), 'k-own', new PermanentError('no'));
    expect(folded.MessageAttributes?.a0).toBeUndefined();
    expect(JSON.parse(attribute(folded, DEAD_LETTER_ATTRIBUTES.originalAttributes) ?? '{}')).toMatchObject({
      a7: { dataType: 'String', stringValue: 'v7' },
    });
  });

  it('never takes more than 9 attributes, so a redrive mark fits, and keeps the mark of the redrive that moved it', async () => {
    // a redriven copy of an old-format dead letter: 3 of its own, its key, 6 reason attributes of
    // the earlier failure, and the redrive's mark
    const stale = Object.fromEntries(
      ['source', 'scheme', 'receivedAt', 'txonce.errorName', 'txonce.errorMessage', 'txonce.failedAt'].map((name) => [
        name,
        { dataType: 'String', stringValue: `old ${name}` },
      ]),
    );
    const rec = record({
      messageAttributes: {
        ...stale,
        idempotencyKey: { dataType: 'String', stringValue: 'k-12' },
        [DEAD_LETTER_ATTRIBUTES.redriveRun]: { dataType: 'String', stringValue: 'run-1' },
      } as unknown as SQSRecord['messageAttributes'],
    });
    const message = await deadLettered(rec, 'k-12', new PermanentError('again'));
    expect(Object.keys(message.MessageAttributes ?? {}).sort()).toEqual(
      ['idempotencyKey', 'receivedAt', 'scheme', 'source', 'txonce.deadLetter', 'txonce.redriveRun'].sort(),
    );
    expect(attribute(message, DEAD_LETTER_ATTRIBUTES.redriveRun)).toBe('run-1');
    expect(reason(message)).toMatchObject({ errorName: 'PermanentError', errorMessage: 'again' });
  });

  it('reads the reason of a dead letter written one attribute per field, as earlier versions did', () => {
    const legacy = {
      'txonce.failedMessageId': { StringValue: 'm-1' },
      'txonce.errorName': { StringValue: 'SchemaValidationError' },
      'txonce.errorMessage': { StringValue: 'Invalid payload: amount: expected a number' },
      'txonce.receiveCount': { StringValue: '3' },
      'txonce.failedAt': { StringValue: '2026-11-28T10:00:00.000Z' },
      'txonce.sourceQueueArn': { StringValue: 'arn:aws:sqs:us-east-1:123456789012:events' },
      'txonce.validationIssues': { StringValue: '[{"message":"expected a number","path":["amount"]}]' },
    };
    expect(readDeadLetterReason(legacy)).toEqual({
      failedMessageId: 'm-1',
      errorName: 'SchemaValidationError',
      errorMessage: 'Invalid payload: amount: expected a number',
      receiveCount: 3,
      failedAt: '2026-11-28T10:00:00.000Z',
      sourceQueueArn: 'arn:aws:sqs:us-east-1:123456789012:events',
      validationIssues: [{ message: 'expected a number', path: ['amount'] }],
    });
    // as Lambda hands attributes over, and nothing when SQS moved it after maxReceiveCount
    expect(readDeadLetterReason({ 'txonce.errorName': { stringValue: 'PermanentError' } })?.errorName).toBe(
      'PermanentError',
    );
    expect(readDeadLetterReason({ idempotencyKey: { StringValue: 'k' } })).toBeUndefined();
  });

  it('cuts the message of a single issue too long for 4096 characters rather than fail the send', async () => {
    const issue = { message: 'x'.repeat(5000), path: ['body'] };
    const message = await deadLettered(record(), 'k-10', new SchemaValidationError([issue]));
    const [kept] = reason(message)?.validationIssues ?? [];
    expect(kept.path).toEqual(['body']);
    expect(JSON.stringify([kept])).toHaveLength(4096);
    expect(issue.message.startsWith(kept.message)).toBe(true);
  });

  it('keeps a long list of schema issues readable: whole issues, then how many more, within 4096 characters', async () => {
    const issues = Array.from({ length: 200 }, (_, index) => ({
      message: `is wrong ${'x'.repeat(20)}`,
      path: [index],
    }));
    const message = await deadLettered(record(), 'k-6', new SchemaValidationError(issues));
    const kept = reason(message)?.validationIssues ?? [];
    expect(JSON.stringify(kept).length).toBeLessThanOrEqual(4096);
    const last = kept.at(-1);
    expect(last).toEqual({ message: `(${200 - (kept.length - 1)} more)`, path: [] });
    expect(kept.slice(0, -1)).toEqual(issues.slice(0, kept.length - 1));
    expect(kept.length).toBeGreaterThan(50);

    const few = await deadLettered(record(), 'k-7', new SchemaValidationError(issues.slice(0, 2)));
    expect(reason(few)?.validationIssues).toEqual(issues.slice(0, 2));
  });

  it('keeps issues whose JSON is exactly 4096 characters whole: nothing dropped, no "more" entry', async () => {
    const second = { message: '', path: ['b'] };
    const frame = JSON.stringify([{ message: '', path: ['a'] }, second]).length;
    const issues = [{ message: 'x'.repeat(4096 - frame), path: ['a'] }, second];
    expect(JSON.stringify(issues)).toHaveLength(4096);
    const message = await deadLettered(record(), 'k-11', new SchemaValidationError(issues));
    expect(reason(message)?.validationIssues).toEqual(issues);
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

describe('reading a reason', () => {
  it('reads nothing from no attributes or from a reason that is not JSON, not even the legacy attributes beside it', () => {
    expect(readDeadLetterReason(undefined)).toBeUndefined();
    expect(
      readDeadLetterReason({
        [DEAD_LETTER_ATTRIBUTES.reason]: { StringValue: '{"errorName":' },
        'txonce.errorName': { StringValue: 'PermanentError' },
      }),
    ).toBeUndefined();
  });

  it('fills what a legacy dead letter left out: empty texts, receive count 0, source "unknown"', () => {
    expect(readDeadLetterReason({ 'txonce.errorName': { stringValue: 'PermanentError' } })).toEqual({
      errorName: 'PermanentError',
      errorMessage: '',
      failedMessageId: '',
      receiveCount: 0,
      failedAt: '',
      sourceQueueArn: 'unknown',
    });
  });

  it('keeps legacy issues cut at 4096 characters (no longer JSON) as one issue with the text', () => {
    const cut = `[{"message":"${'x'.repeat(4082)}`;
    expect(
      readDeadLetterReason({
        'txonce.errorName': { StringValue: 'SchemaValidationError' },
        'txonce.validationIssues': { StringValue: cut },
      })?.validationIssues,
    ).toEqual([{ message: cut, path: [] }]);
  });
});

describe('a record as a test or a hand-built event gives it', () => {
  it('without messageAttributes: dead-lettered with the reason and the key alone', async () => {
    const inputs: Record<string, unknown>[] = [];
    const client = { send: async (command: { input: Record<string, unknown> }) => void inputs.push(command.input) };
    const bare = { ...record(), messageAttributes: undefined } as unknown as SQSRecord;
    await sendToDeadLetter({ client: client as never, queueUrl: 'https://sqs.example/dlq' }, bare, 'k-13', 'no');
    expect(inputs).toHaveLength(1);
    expect(Object.keys(inputs[0].MessageAttributes as object).sort()).toEqual(
      [DEAD_LETTER_ATTRIBUTES.key, DEAD_LETTER_ATTRIBUTES.reason].sort(),
    );
  });
});

describe('issues too long for 4096 characters', () => {
  it('cuts none of several: a first issue too long alone stays whole, then the count of the rest', async () => {
    const inputs: { MessageAttributes: Message['MessageAttributes'] }[] = [];
    const client = { send: async (command: { input: (typeof inputs)[number] }) => void inputs.push(command.input) };
    const huge = { message: 'x'.repeat(5000), path: ['body'] };
    const error = new SchemaValidationError([huge, { message: 'short', path: ['id'] }, { message: 'too', path: [] }]);
    await sendToDeadLetter({ client: client as never, queueUrl: 'https://sqs.example/dlq' }, record(), 'k-14', error);
    expect(readDeadLetterReason(inputs[0].MessageAttributes)?.validationIssues).toEqual([
      huge,
      { message: '(2 more)', path: [] },
    ]);
  });
});

describe('the copy a redrive sends back', () => {
  const text = (value: string) => ({ DataType: 'String', StringValue: value });

  it('carries the event’s own attributes (unfolded) and the run’s mark, not the earlier reason', async () => {
    const folded = JSON.stringify({
      tenant: { dataType: 'String', stringValue: 'acme' },
      blob: { dataType: 'Binary', binaryValue: Buffer.from([1, 2]).toString('base64') },
    });
    const copy = copyBackAttributes(
      {
        idempotencyKey: text('k'),
        [DEAD_LETTER_ATTRIBUTES.reason]: text('{"errorName":"PermanentError"}'),
        'txonce.errorName': text('PermanentError'),
        [DEAD_LETTER_ATTRIBUTES.originalAttributes]: text(folded),
        [DEAD_LETTER_ATTRIBUTES.redriveRun]: text('an earlier run'),
      },
      'run-2',
    );
    expect(copy).toEqual({
      idempotencyKey: text('k'),
      tenant: text('acme'),
      blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2]) },
      [DEAD_LETTER_ATTRIBUTES.redriveRun]: text('run-2'),
    });
  });

  it('adds no mark where SQS’s 10 leave no room, and keeps a fold that would not fit unfolded', () => {
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`a${index}`, text(`v${index}`)]));
    expect(copyBackAttributes(ten, 'run-3')).toEqual(ten);
    const fold = {
      idempotencyKey: text('k'),
      [DEAD_LETTER_ATTRIBUTES.originalAttributes]: text(
        JSON.stringify(
          Object.fromEntries(Object.keys(ten).map((name) => [name, { dataType: 'String', stringValue: name }])),
        ),
      ),
    };
    expect(copyBackAttributes(fold, 'run-3')).toEqual({ ...fold, [DEAD_LETTER_ATTRIBUTES.redriveRun]: text('run-3') });
  });

  it('passes on a fold that is not its JSON as it is, with the mark', () => {
    const fold = { idempotencyKey: text('k'), [DEAD_LETTER_ATTRIBUTES.originalAttributes]: text('not json') };
    expect(copyBackAttributes(fold, 'run-4')).toEqual({ ...fold, [DEAD_LETTER_ATTRIBUTES.redriveRun]: text('run-4') });
  });

  it('unfolds only to at most 9 attributes, so the mark fits: 10 stay folded', () => {
    const nine = Object.fromEntries(
      Array.from({ length: 9 }, (_, index) => [`a${index}`, { dataType: 'String', stringValue: `v${index}` }]),
    );
    const fold = (attributes: object) => ({
      idempotencyKey: text('k'),
      [DEAD_LETTER_ATTRIBUTES.originalAttributes]: text(JSON.stringify(attributes)),
    });
    const { a8: _, ...eight } = nine;
    const unfolded = copyBackAttributes(fold(eight), 'run-5');
    expect(Object.keys(unfolded)).toHaveLength(10);
    expect(unfolded).toMatchObject({ a0: text('v0'), [DEAD_LETTER_ATTRIBUTES.redriveRun]: text('run-5') });
    expect(copyBackAttributes(fold(nine), 'run-5')).toEqual({
      ...fold(nine),
      [DEAD_LETTER_ATTRIBUTES.redriveRun]: text('run-5'),
    });
  });

  it('replaces an earlier run’s mark with this run’s, also beside 9 attributes of the event’s own', () => {
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, index) => [`a${index}`, text(`v${index}`)]));
    expect(copyBackAttributes({ ...nine, [DEAD_LETTER_ATTRIBUTES.redriveRun]: text('run-0') }, 'run-6')).toEqual({
      ...nine,
      [DEAD_LETTER_ATTRIBUTES.redriveRun]: text('run-6'),
    });
  });
});
