import type { DynamoDBRecord, DynamoDBStreamEvent, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

const KINESIS_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/txonce-events';
const TABLE_STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-11-29T00:00:00.000';

/** Sequence numbers as a shard hands them out: increasing, never reused within a test run. */
let lastSequence = 0;
function sequence(): string {
  lastSequence++;
  return `4959${String(lastSequence).padStart(52, '0')}`;
}

/** A shard's records as Lambda's event source mapping delivers them (data base64, eventID "shard:seq"). */
export function kinesisRecords(payloads: unknown[], options: { shard?: string } = {}): KinesisStreamRecord[] {
  const shard = options.shard ?? 'shardId-000000000000';
  return payloads.map((payload) => {
    const sequenceNumber = sequence();
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'orders',
        sequenceNumber,
        data: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString('base64'),
        approximateArrivalTimestamp: Date.now() / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shard}:${sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/consumer',
      awsRegion: 'us-east-1',
      eventSourceARN: KINESIS_ARN,
    };
  });
}

export function kinesisEvent(records: KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: records };
}

/** A table's stream records (INSERT, NEW_AND_OLD_IMAGES) as Lambda delivers them: images in DynamoDB JSON. */
export function dynamodbRecords(items: { pk: string; [name: string]: string | number }[]): DynamoDBRecord[] {
  return items.map((item) => {
    const sequenceNumber = sequence();
    return {
      eventID: `ddb-${sequenceNumber.slice(-12)}`,
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: { pk: { S: item.pk } },
        NewImage: Object.fromEntries(
          Object.entries(item).map(([name, value]) => [
            name,
            typeof value === 'number' ? { N: String(value) } : { S: value },
          ]),
        ),
        SequenceNumber: sequenceNumber,
        SizeBytes: 64,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: TABLE_STREAM_ARN,
    };
  });
}

export function dynamodbEvent(records: DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: records };
}
