import { describe, expect, it } from 'vitest';
import {
  dynamodbStreamBatchHandler,
  Idempotency,
  idempotency,
  kinesisBatchHandler,
  sqsBatchHandler,
  verifyWebhook,
  verifyWebhookSignature,
} from '../../../lib/index.js';

// JavaScript callers have no compiler: a misspelled option must be refused at construction,
// naming the option that was probably meant, instead of being silently ignored (a `ttl` that
// leaves records durable). The store's client is never called.

const client = { send: () => Promise.reject(new Error('the client is not called')) } as never;
const store = new Idempotency({ client, tableName: 'never-called', source: 'options' });
const sqsClient = { send: () => Promise.reject(new Error('not called')) } as never;

function refusal(build: () => unknown): Error {
  try {
    build();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
}

describe('an option name the factory does not know', () => {
  it('new Idempotency: `ttl` is refused, pointing at `ttlSeconds`, with every option it takes', () => {
    const error = refusal(() => new Idempotency({ client, tableName: 'dedup', ttl: 3600 } as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe(
      'Idempotency: `ttl` is not an option; did you mean `ttlSeconds`? Rename or remove it (the options are ' +
        'client, tableName, source, ttlSeconds, ttlAttribute, maxAttempts, retryBaseDelayMs, maxResultBytes, ' +
        'resultTooLarge, outboxTable, precheck, precheckRead, cache).',
    );
  });

  it('a name in another case, or a few letters off, is matched; a name like none is only refused', () => {
    expect(refusal(() => new Idempotency({ client, tableName: 'dedup', Source: 'billing' } as never)).message).toMatch(
      /^Idempotency: `Source` is not an option; did you mean `source`\?/,
    );
    expect(refusal(() => new Idempotency({ client, tableName: 'dedup', tablename: 'x' } as never)).message).toMatch(
      /did you mean `tableName`\?/,
    );
    expect(refusal(() => new Idempotency({ client, tableName: 'dedup', banana: 1 } as never)).message).toMatch(
      /^Idempotency: `banana` is not an option\. Rename or remove it \(the options are client, /,
    );
    expect(
      refusal(() => new Idempotency({ client, tableName: 'dedup', cache: { maxEntry: 5 } } as never)).message,
    ).toMatch(/^Idempotency: `cache.maxEntry` is not an option; did you mean `cache.maxEntries`\?/);
  });

  it.each([
    ['one that begins with a known name', 'cacheOptions', '; did you mean `cache`?'],
    ['a two-letter one a known name only begins with: too short to guess', 'ca', '.'],
    [
      'one near two names: the fewest edits wins, wherever it is listed',
      'precheckReads',
      '; did you mean `precheckRead`?',
    ],
    ['one equally near two names: the one listed first, every time', 'precheckRe', '; did you mean `precheck`?'],
  ])('new Idempotency, %s: `%s`', (_, name, suggestion) => {
    const error = refusal(() => new Idempotency({ client, tableName: 'dedup', [name]: 1 } as never));
    expect(error.message).toMatch(
      new RegExp(`^Idempotency: \`${name}\` is not an option${suggestion.replace(/[.?]/g, '\\$&')} Rename`),
    );
  });

  it('a nested option set given as a string is refused for what it is, not for its characters', () => {
    const deadLetter = 'https://sqs.us-east-1.amazonaws.com/1/dlq';
    expect(refusal(() => sqsBatchHandler({ store, handler: () => undefined, deadLetter } as never)).message).toBe(
      'sqsBatchHandler(): `deadLetter.client` must be an SQSClient (@aws-sdk/client-sqs).',
    );
  });

  it('sqsBatchHandler: `fingerPrint`, `deadletter` and a misspelled `deadLetter.queueURL`', () => {
    const handler = () => undefined;
    expect(refusal(() => sqsBatchHandler({ store, handler, fingerPrint: () => 'x' } as never)).message).toMatch(
      /^sqsBatchHandler\(\): `fingerPrint` is not an option; did you mean `fingerprint`\?/,
    );
    expect(
      refusal(() => sqsBatchHandler({ store, handler, deadletter: { client: sqsClient, queueUrl: 'x' } } as never))
        .message,
    ).toMatch(/^sqsBatchHandler\(\): `deadletter` is not an option; did you mean `deadLetter`\?/);
    const deadLetter = { client: sqsClient, queueURL: 'https://sqs.us-east-1.amazonaws.com/1/dlq' };
    expect(refusal(() => sqsBatchHandler({ store, handler, deadLetter } as never)).message).toMatch(
      /^sqsBatchHandler\(\): `deadLetter.queueURL` is not an option; did you mean `deadLetter.queueUrl`\?/,
    );
  });

  it('the Kinesis and DynamoDB Streams handlers, idempotency(), verifyWebhook and verifyWebhookSignature', () => {
    const handler = () => undefined;
    expect(refusal(() => kinesisBatchHandler({ store, handler, timeMargin: 100 } as never)).message).toMatch(
      /^kinesisBatchHandler\(\): `timeMargin` is not an option; did you mean `timeMarginMs`\?/,
    );
    expect(refusal(() => dynamodbStreamBatchHandler({ store, handler, onOutcomes: handler } as never)).message).toMatch(
      /^dynamodbStreamBatchHandler\(\): `onOutcomes` is not an option; did you mean `onOutcome`\?/,
    );
    expect(
      refusal(() => idempotency({ store, key: () => 'k', fingerPrint: () => 'x' } as never, handler)).message,
    ).toMatch(/^idempotency\(\): `fingerPrint` is not an option; did you mean `fingerprint`\?/);
    expect(refusal(() => verifyWebhook({ scheme: 'stripe', secret: 'whsec_x' } as never)).message).toMatch(
      /^verifyWebhook: `secret` is not an option; did you mean `secrets`\?/,
    );
    const input = { scheme: 'github', secrets: 's', headers: {}, body: '{}' };
    expect(refusal(() => verifyWebhookSignature(input as never)).message).toMatch(
      /^verifyWebhookSignature: `body` is not an option; did you mean `rawBody`\? Rename or remove it \(the options are scheme, secrets, headers, rawBody, /,
    );
  });

  it('tx.emit: a destination field in the wrong case fails the delivery before anything is written', async () => {
    const emitting = new Idempotency({ client, tableName: 'dedup', outboxTable: 'outbox' });
    const destination = { kind: 'eventbridge', busName: 'default', Source: 'billing' };
    const error = await emitting
      .run({ key: 'k' }, (tx) => tx.emit({ destination, payload: {} } as never))
      .catch((error: Error) => error);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(
      /^tx\.emit\(\): `destination.Source` is not an option; did you mean `destination.source`\?/,
    );
  });
});
