import type { MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { EVENT_ATTRIBUTES } from '../contracts/sqs-attributes.js';
import type { OptionNames } from '../shared/options.js';
import { type PayloadIssue, SchemaValidationError } from '../shared/schema.js';

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

/** SQS refuses an 11th message attribute. */
const MAX_ATTRIBUTES = 10;
const MAX_ERROR_MESSAGE = 1024;
const MAX_ISSUES_JSON = 4096;

/**
 * Attribute names a dead letter carries: its key, why it failed (one JSON attribute, read with
 * {@link readDeadLetterReason}), the record's own attributes when they do not fit one for one,
 * and the mark of the `txonce redrive` run that last moved it. A dead letter never takes more
 * than 9 attributes, so a redrive's mark always fits under SQS's 10.
 *
 * @example
 * ```ts
 * import type { SQSRecord } from 'aws-lambda';
 * import { DEAD_LETTER_ATTRIBUTES } from 'txonce';
 *
 * // reading a dead-lettered message: the event it was
 * export function keyOf(record: SQSRecord): string | undefined {
 *   return record.messageAttributes[DEAD_LETTER_ATTRIBUTES.key]?.stringValue;
 * }
 * ```
 */
export const DEAD_LETTER_ATTRIBUTES = {
  /** the idempotency key it was processed under, so a redriven copy is still the same event */
  key: EVENT_ATTRIBUTES.key,
  /** why it failed, as JSON: a {@link DeadLetterReason} */
  reason: 'txonce.deadLetter',
  /** the record's own attributes as JSON (`{ name: { dataType, stringValue | binaryValue } }`), when they do not fit one for one */
  originalAttributes: 'txonce.originalAttributes',
  /** set by `txonce redrive` on each copy it sends back: the run's id */
  redriveRun: 'txonce.redriveRun',
} as const;

/** What txonce before the one-attribute reason wrote, one attribute each; still read. */
const LEGACY_REASON_ATTRIBUTES = {
  failedMessageId: 'txonce.failedMessageId',
  errorName: 'txonce.errorName',
  errorMessage: 'txonce.errorMessage',
  receiveCount: 'txonce.receiveCount',
  failedAt: 'txonce.failedAt',
  sourceQueueArn: 'txonce.sourceQueueArn',
  validationIssues: 'txonce.validationIssues',
} as const;

/**
 * Why a message was dead-lettered: the JSON in its `txonce.deadLetter` attribute.
 *
 * @example
 * ```ts
 * import type { DeadLetterReason } from 'txonce';
 *
 * export const describe = (reason: DeadLetterReason) => `${reason.errorName}: ${reason.errorMessage}`;
 * ```
 */
export interface DeadLetterReason {
  /** the error's name, e.g. `PermanentError` (`NonError` for a thrown non-Error) */
  errorName: string;
  /** its message, cut at 1024 characters; `(no message)` when empty */
  errorMessage: string;
  /** the SQS message id of the record that failed */
  failedMessageId: string;
  /** `ApproximateReceiveCount` when it failed */
  receiveCount: number;
  /** ISO 8601 */
  failedAt: string;
  /** the queue it came from, `unknown` when Lambda did not say */
  sourceQueueArn: string;
  /** a SchemaValidationError's issues: whole issues within 4096 characters of JSON, then `(n more)` */
  validationIssues?: PayloadIssue[];
}

/**
 * Reads why a message was dead-lettered, from its attributes as the SDK's ReceiveMessage returns
 * them or as Lambda hands them over; also the one-attribute-per-field format of earlier versions.
 * `undefined` when txonce did not dead-letter it (SQS moved it after `maxReceiveCount`).
 *
 * @example
 * ```ts
 * import type { SQSRecord } from 'aws-lambda';
 * import { readDeadLetterReason } from 'txonce';
 *
 * export function whyDeadLettered(record: SQSRecord): string | undefined {
 *   return readDeadLetterReason(record.messageAttributes)?.errorName;
 * }
 * ```
 */
export function readDeadLetterReason(
  // as the SDK returns them (`StringValue`) or as Lambda hands them over (`stringValue`)
  attributes: Readonly<Record<string, { StringValue?: string; stringValue?: string }>> | undefined,
): DeadLetterReason | undefined {
  const read = (name: string) => attributes?.[name]?.StringValue ?? attributes?.[name]?.stringValue;
  const json = read(DEAD_LETTER_ATTRIBUTES.reason);
  if (json !== undefined) {
    try {
      return JSON.parse(json) as DeadLetterReason;
    } catch {
      return undefined;
    }
  }
  const errorName = read(LEGACY_REASON_ATTRIBUTES.errorName);
  if (errorName === undefined) return undefined;
  const issues = read(LEGACY_REASON_ATTRIBUTES.validationIssues);
  return {
    errorName,
    errorMessage: read(LEGACY_REASON_ATTRIBUTES.errorMessage) ?? '',
    failedMessageId: read(LEGACY_REASON_ATTRIBUTES.failedMessageId) ?? '',
    receiveCount: Number(read(LEGACY_REASON_ATTRIBUTES.receiveCount) ?? 0),
    failedAt: read(LEGACY_REASON_ATTRIBUTES.failedAt) ?? '',
    sourceQueueArn: read(LEGACY_REASON_ATTRIBUTES.sourceQueueArn) ?? 'unknown',
    ...(issues ? { validationIssues: parsedOrCut(issues) } : {}),
  };
}

/** Names that describe an earlier dead-lettering, not the event: a new failure writes its own. */
export function isReasonAttribute(name: string): boolean {
  return name === DEAD_LETTER_ATTRIBUTES.reason || Object.values<string>(LEGACY_REASON_ATTRIBUTES).includes(name);
}

/**
 * Sends a record that can never succeed to the DLQ with its body and attributes, plus why (one
 * attribute). The idempotency key travels as `idempotencyKey`, so a redrive of the message is
 * still the same event; a redrive's mark is kept, so the run that moved it knows it came back.
 */
export async function sendToDeadLetter(
  options: DeadLetterOptions,
  record: SQSRecord,
  key: string | undefined,
  error: unknown,
): Promise<void> {
  const { name, message } = describeError(error);
  const reason: DeadLetterReason = {
    errorName: name,
    errorMessage: message.slice(0, MAX_ERROR_MESSAGE) || '(no message)',
    failedMessageId: record.messageId,
    receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1),
    failedAt: new Date().toISOString(),
    sourceQueueArn: record.eventSourceARN || 'unknown',
    ...(error instanceof SchemaValidationError ? { validationIssues: truncatedIssues(error) } : {}),
  };
  const own: Record<string, MessageAttributeValue> = {
    [DEAD_LETTER_ATTRIBUTES.reason]: text(JSON.stringify(reason)),
  };
  if (key) own[DEAD_LETTER_ATTRIBUTES.key] = text(key);
  const mark = record.messageAttributes?.[DEAD_LETTER_ATTRIBUTES.redriveRun]?.stringValue;
  if (mark) own[DEAD_LETTER_ATTRIBUTES.redriveRun] = text(mark);

  const fifo = options.queueUrl.endsWith('.fifo');
  // loaded on first use: a consumer without a DLQ does not pay for the SQS client at cold start
  const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
  await options.client.send(
    new SendMessageCommand({
      QueueUrl: options.queueUrl,
      MessageBody: record.body,
      MessageAttributes: { ...originalAttributes(record, own, mark ? 0 : 1), ...own },
      MessageGroupId: fifo ? record.attributes?.MessageGroupId || 'txonce-dead-letter' : undefined,
      MessageDeduplicationId: fifo ? record.messageId : undefined,
    }),
  );
}

/**
 * The record's own attributes, one for one where they fit beside ours and `room` kept free (for
 * a redrive's mark), else as one JSON attribute. An earlier failure's reason is dropped.
 */
function originalAttributes(
  record: SQSRecord,
  own: Record<string, MessageAttributeValue>,
  room: number,
): Record<string, MessageAttributeValue> {
  const entries = Object.entries(record.messageAttributes ?? {}).filter(
    ([name]) => !(name in own) && !isReasonAttribute(name) && name !== DEAD_LETTER_ATTRIBUTES.redriveRun,
  );
  if (entries.length === 0) return {};
  if (entries.length + Object.keys(own).length + room <= MAX_ATTRIBUTES) {
    return Object.fromEntries(entries.map(([name, value]) => [name, toSdkAttribute(value)]));
  }
  return { [DEAD_LETTER_ATTRIBUTES.originalAttributes]: text(JSON.stringify(Object.fromEntries(entries))) };
}

/**
 * The attributes of the copy a redrive sends back to the source queue: the event's own (unfolded
 * from `txonce.originalAttributes` where they fit), without an earlier failure's reason (a new
 * failure writes its own), plus the run's mark when SQS's 10 leave room for it.
 */
export function copyBackAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
  run: string,
): Record<string, MessageAttributeValue> {
  const kept = Object.fromEntries(
    Object.entries(attributes ?? {}).filter(
      ([name]) => !isReasonAttribute(name) && name !== DEAD_LETTER_ATTRIBUTES.redriveRun,
    ),
  );
  const folded = kept[DEAD_LETTER_ATTRIBUTES.originalAttributes]?.StringValue;
  const original = folded === undefined ? undefined : unfold(folded);
  if (original) {
    const { [DEAD_LETTER_ATTRIBUTES.originalAttributes]: _, ...rest } = kept;
    const unfolded = { ...original, ...rest };
    if (Object.keys(unfolded).length < MAX_ATTRIBUTES) return { ...unfolded, ...mark(run) };
  }
  return Object.keys(kept).length < MAX_ATTRIBUTES ? { ...kept, ...mark(run) } : kept;
}

function mark(run: string): Record<string, MessageAttributeValue> {
  return { [DEAD_LETTER_ATTRIBUTES.redriveRun]: text(run) };
}

/** `txonce.originalAttributes` (attributes as Lambda hands them over) back into what SendMessage takes. */
function unfold(json: string): Record<string, MessageAttributeValue> | undefined {
  let parsed: Record<string, { dataType: string; stringValue?: string; binaryValue?: string }>;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined; // not ours: passed on as it is
  }
  return Object.fromEntries(Object.entries(parsed).map(([name, value]) => [name, toSdkAttribute(value)]));
}

function toSdkAttribute(value: {
  dataType: string;
  stringValue?: string;
  binaryValue?: string;
}): MessageAttributeValue {
  return value.binaryValue !== undefined
    ? { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, 'base64') }
    : { DataType: value.dataType, StringValue: value.stringValue ?? '' };
}

/** The issues, dropping trailing issues (never cutting one but a lone one) to stay readable and small. */
function truncatedIssues(error: SchemaValidationError): PayloadIssue[] {
  const issues = [...error.issues];
  let kept = issues;
  while (JSON.stringify(kept).length > MAX_ISSUES_JSON && issues.length > 1) {
    issues.pop();
    kept = [...issues, { message: `(${error.issues.length - issues.length} more)`, path: [] }];
  }
  if (kept.length === 1 && JSON.stringify(kept).length > MAX_ISSUES_JSON) {
    const [{ message, path }] = kept;
    const cut = JSON.stringify(kept).length - MAX_ISSUES_JSON;
    kept = [{ message: message.slice(0, Math.max(0, message.length - cut)), path }];
  }
  return kept;
}

/** A legacy issues attribute: JSON, or JSON cut at 4096 characters (then kept as one message). */
function parsedOrCut(json: string): PayloadIssue[] {
  try {
    return JSON.parse(json);
  } catch {
    return [{ message: json, path: [] }];
  }
}

function text(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'NonError', message: String(error) };
}

// The names these options take, checked at runtime by `knownNames` (JavaScript callers have no
// compiler); typed OptionNames<…>, so a name added to or dropped from the type fails to compile here.

export const DEAD_LETTER_OPTIONS: OptionNames<DeadLetterOptions> = { client: true, queueUrl: true };
