import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

/** An SQS record as Lambda's event source mapping delivers it. */
export function sqsRecord(body: unknown, options: { idempotencyKey?: string; messageId?: string } = {}): SQSRecord {
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  if (options.idempotencyKey !== undefined) {
    messageAttributes.idempotencyKey = { dataType: 'String', stringValue: options.idempotencyKey } as never;
  }
  return {
    messageId: options.messageId ?? randomUUID(),
    receiptHandle: randomUUID(),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes,
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:txonce-events',
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}
