import type { DynamoDBRecord, KinesisStreamRecord, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  defaultDynamoDBStreamKey,
  defaultKinesisKey,
  defaultSqsKey,
  dynamodbStreamBatchHandler,
  fingerprintOf,
  Idempotency,
  jsonBody,
  kinesisBatchHandler,
  kinesisJson,
  MissingIdempotencyKeyError,
  PermanentError,
  streamImage,
  UnfingerprintablePayloadError,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { sqsRecord } from '../../support/sqs-events.js';

// The default keys and payload readers of SQS, Kinesis and DynamoDB Streams records at their
// edges (records missing optional parts, bodies that are not JSON), found by mutation testing.

const caught = (run: () => unknown): Error => {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
};

describe('SQS records', () => {
  it('key on the messageId when the record has no message attributes at all', () => {
    const record = sqsRecord({ a: 1 }, { messageId: 'm-no-attributes' });
    delete (record as Partial<SQSRecord>).messageAttributes;
    expect(defaultSqsKey(record)).toBe('m-no-attributes');
  });

  it('refuse an empty idempotencyKey attribute, naming the message', () => {
    const error = caught(() => defaultSqsKey(sqsRecord({ a: 1 }, { idempotencyKey: '', messageId: 'm-empty-key' })));
    expect(error).toBeInstanceOf(MissingIdempotencyKeyError);
    expect(error.message).toMatch(/message m-empty-key has an idempotencyKey attribute without a string value/);
  });

  it('a body that is not JSON is a PermanentError that keeps the parse error as its cause', () => {
    const error = caught(() => jsonBody(sqsRecord('{not json', { messageId: 'm-bad-json' })));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/Message m-bad-json has a body that is not valid JSON/);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});

const kinesisRecord = (data: string, eventID: string, sequenceNumber: string | undefined) =>
  ({
    eventID,
    kinesis: sequenceNumber === undefined ? undefined : { sequenceNumber, data: Buffer.from(data).toString('base64') },
  }) as unknown as KinesisStreamRecord;

describe('Kinesis records', () => {
  it('key on the eventID, else on the sequence number, else on nothing', () => {
    expect(defaultKinesisKey(kinesisRecord('{}', 'shardId-1:42', '42'))).toBe('shardId-1:42');
    expect(defaultKinesisKey(kinesisRecord('{}', '', '43'))).toBe('43');
    expect(defaultKinesisKey(kinesisRecord('{}', '', undefined))).toBeUndefined();
  });

  it('data that is not JSON is a PermanentError naming the sequence number, with the parse error as cause', () => {
    const error = caught(() => kinesisJson(kinesisRecord('{not json', 'shardId-1:44', '44')));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/^Kinesis record 44 has data that is not valid JSON/);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});

describe('DynamoDB Streams records', () => {
  it('key on the eventID, else on the SequenceNumber, else on nothing', () => {
    expect(defaultDynamoDBStreamKey({ eventID: 'e-1', dynamodb: { SequenceNumber: '7' } } as DynamoDBRecord)).toBe(
      'e-1',
    );
    expect(defaultDynamoDBStreamKey({ eventID: '', dynamodb: { SequenceNumber: '8' } } as DynamoDBRecord)).toBe('8');
    expect(defaultDynamoDBStreamKey({ eventID: '' } as DynamoDBRecord)).toBeUndefined();
  });

  it('read no image from a record without its dynamodb part', () => {
    expect(streamImage({ eventID: 'e-2' } as DynamoDBRecord)).toBeUndefined();
  });
});

describe('a stream batch handler given an event of another trigger', () => {
  const store = new Idempotency({
    client: { send: () => Promise.reject(new Error('not called')) } as never,
    tableName: 'never-called',
    source: 'edges',
  });

  it('names itself and asks whether the right trigger is wired', async () => {
    const kinesis = kinesisBatchHandler({ store, handler: () => undefined });
    const dynamodb = dynamodbStreamBatchHandler({ store, handler: () => undefined });
    await expect(kinesis({} as never, lambdaContext())).rejects.toThrow(
      'kinesisBatchHandler: the event has no Records array; is this function triggered by a Kinesis stream?',
    );
    await expect(dynamodb({} as never, lambdaContext())).rejects.toThrow(
      'dynamodbStreamBatchHandler: the event has no Records array; is this function triggered by a DynamoDB stream?',
    );
  });
});

describe('fingerprints of deeply nested payloads', () => {
  const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`);

  it('fingerprints 1000 levels, and refuses 1001 as an UnfingerprintablePayloadError (permanent) rather than overflow the stack', () => {
    expect(fingerprintOf(nested(1000))).toMatch(/^[0-9a-f]{64}$/);
    const error = caught(() => fingerprintOf(nested(1001)));
    expect(error).toBeInstanceOf(UnfingerprintablePayloadError);
    expect(error.message).toMatch(/nested deeper than 1000 levels/);
    expect(caught(() => fingerprintOf(nested(40_000)))).toBeInstanceOf(UnfingerprintablePayloadError);
  });
});
