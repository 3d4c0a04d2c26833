import type { MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { SchemaValidationError } from './schema.js';

/**
 * Where `sqsBatchHandler` sends a record that can never succeed, at once, instead of letting it
 * burn `maxReceiveCount` retries.
 *
 * @example
 * ```ts
 * import { SQSClient } from '@aws-sdk/client-sqs';
 * import { type DeadLetterOptions, sqsBatchHandler } from 'txonce';
 * import { store } from './store.js';
 *
 * const deadLetter: DeadLetterOptions = { client: new SQSClient({}), queueUrl: process.env.DLQ_URL ?? '' };
 * export const handler = sqsBatchHandler({ store, handler: () => {}, deadLetter });
 * ```
 */
export interface DeadLetterOptions {
  /** An SQSClient (@aws-sdk/client-sqs). */
  client: SQSClient;
  /** The DLQ's URL; a FIFO DLQ (".fifo") keeps the record's MessageGroupId. */
  queueUrl: string;
}

/** SQS allows 10 message attributes; the reason takes 7 of them (8 for an invalid payload). */
const MAX_ATTRIBUTES = 10;
const MAX_ERROR_MESSAGE = 1024;
const MAX_ISSUES_JSON = 4096;

/**
 * Attribute names that say why a message was dead-lettered.
 *
 * @example
 * ```ts
 * import type { SQSRecord } from 'aws-lambda';
 * import { DEAD_LETTER_ATTRIBUTES } from 'txonce';
 *
 * // reading a dead-lettered message: why it failed
 * export function whyDeadLettered(record: SQSRecord): string | undefined {
 *   return record.messageAttributes[DEAD_LETTER_ATTRIBUTES.errorName]?.stringValue;
 * }
 * ```
 */
export const DEAD_LETTER_ATTRIBUTES = {
  key: 'idempotencyKey',
  messageId: 'txonce.failedMessageId',
  errorName: 'txonce.errorName',
  errorMessage: 'txonce.errorMessage',
  receiveCount: 'txonce.receiveCount',
  failedAt: 'txonce.failedAt',
  sourceQueue: 'txonce.sourceQueueArn',
  originalAttributes: 'txonce.originalAttributes',
  /** a SchemaValidationError's issues, as JSON: [{ message, path }] */
  validationIssues: 'txonce.validationIssues',
} as const;

/**
 * Sends a record that can never succeed to the DLQ with its body and attributes, plus
 * attributes that say why. The idempotency key travels as `idempotencyKey`, so a redrive
 * of the message is still the same event.
 */
export async function sendToDeadLetter(
  options: DeadLetterOptions,
  record: SQSRecord,
  key: string | undefined,
  error: unknown,
): Promise<void> {
  const { name, message } = describeError(error);
  const reason: Record<string, MessageAttributeValue> = {
    [DEAD_LETTER_ATTRIBUTES.messageId]: text(record.messageId),
    [DEAD_LETTER_ATTRIBUTES.errorName]: text(name),
    [DEAD_LETTER_ATTRIBUTES.errorMessage]: text(message.slice(0, MAX_ERROR_MESSAGE) || '(no message)'),
    [DEAD_LETTER_ATTRIBUTES.receiveCount]: {
      DataType: 'Number',
      StringValue: record.attributes?.ApproximateReceiveCount ?? '1',
    },
    [DEAD_LETTER_ATTRIBUTES.failedAt]: text(new Date().toISOString()),
    [DEAD_LETTER_ATTRIBUTES.sourceQueue]: text(record.eventSourceARN || 'unknown'),
  };
  if (key) reason[DEAD_LETTER_ATTRIBUTES.key] = text(key);
  if (error instanceof SchemaValidationError) {
    reason[DEAD_LETTER_ATTRIBUTES.validationIssues] = text(truncatedIssues(error));
  }

  const fifo = options.queueUrl.endsWith('.fifo');
  // loaded on first use: a consumer without a DLQ does not pay for the SQS client at cold start
  const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
  await options.client.send(
    new SendMessageCommand({
      QueueUrl: options.queueUrl,
      MessageBody: record.body,
      MessageAttributes: { ...originalAttributes(record, reason), ...reason },
      MessageGroupId: fifo ? record.attributes?.MessageGroupId || 'txonce-dead-letter' : undefined,
      MessageDeduplicationId: fifo ? record.messageId : undefined,
    }),
  );
}

/** The record's own attributes, one for one where they fit beside the reason, else as one JSON attribute. */
function originalAttributes(
  record: SQSRecord,
  reason: Record<string, MessageAttributeValue>,
): Record<string, MessageAttributeValue> {
  const entries = Object.entries(record.messageAttributes ?? {}).filter(([name]) => !(name in reason));
  if (entries.length === 0) return {};
  if (entries.length + Object.keys(reason).length <= MAX_ATTRIBUTES) {
    return Object.fromEntries(
      entries.map(([name, value]) => [
        name,
        value.binaryValue !== undefined
          ? { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, 'base64') }
          : { DataType: value.dataType, StringValue: value.stringValue ?? '' },
      ]),
    );
  }
  return { [DEAD_LETTER_ATTRIBUTES.originalAttributes]: text(JSON.stringify(Object.fromEntries(entries))) };
}

/** The issues as JSON, dropping trailing issues (never cutting one) to stay readable and small. */
function truncatedIssues(error: SchemaValidationError): string {
  const issues = [...error.issues];
  let json = JSON.stringify(issues);
  while (json.length > MAX_ISSUES_JSON && issues.length > 1) {
    issues.pop();
    json = JSON.stringify([...issues, { message: `(${error.issues.length - issues.length} more)`, path: [] }]);
  }
  return json.slice(0, MAX_ISSUES_JSON);
}

function text(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'NonError', message: String(error) };
}
