import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEAD_LETTER_ATTRIBUTES, recordKey } from '../lib/index.js';
import { peek } from '../ops/sqs-peek.js';
import { type DeadLetterEntry, isDeadLetter, type Journal, type JournalEntry, type JournalLine } from './journal.js';

export interface ReplayReport {
  /** accepted events with no dedup record: queued again */
  replayed: number;
  /** accepted events already committed: dropped from the journal */
  committed: number;
  /** journal lines cut short by a kill: never answered 202 (the sender retries them) */
  torn: number;
  /** events the consumer dead-lettered (and nothing since): not queued again */
  deadLettered: number;
  /** of those, the ones the DLQ no longer held (moto restarted): put back into the DLQ */
  restored: number;
}

/**
 * Queues again every journalled event the dedup table has no record of (once per key), and
 * keeps only those in the journal. A replayed event that did commit meanwhile is a duplicate
 * to the consumer, so replaying too much is harmless; replaying too little is what this avoids.
 * An event whose last line is its dead letter is not queued again: it is put back into the DLQ
 * if the DLQ lost it, and kept in the journal as a dead letter.
 */
export async function replayJournal(options: {
  journal: Journal;
  dynamo: DynamoDBDocumentClient;
  dedupTable: string;
  sqs: SQSClient;
  queueUrl: string;
}): Promise<ReplayReport> {
  const { entries, torn } = options.journal.read();
  // the last line of a key says where it stands: accepted (again, after a redrive) or dead-lettered
  const latest = new Map<string, JournalLine>();
  for (const entry of entries) {
    const pk = recordKey(entry.source, entry.key);
    const seen = latest.get(pk);
    if (!seen || isDeadLetter(seen) || isDeadLetter(entry)) latest.set(pk, entry);
  }
  const committed = await existingRecords(options.dynamo, options.dedupTable, [...latest.keys()]);
  const open = [...latest].filter(([pk]) => !committed.has(pk)).map(([, entry]) => entry);
  const pending = open.filter((entry): entry is JournalEntry => !isDeadLetter(entry));
  const deadLettered = open.filter(isDeadLetter);
  for (let start = 0; start < pending.length; start += 10) {
    await Promise.all(
      pending
        .slice(start, start + 10)
        .map((entry) => options.sqs.send(new SendMessageCommand({ ...entry.message, QueueUrl: options.queueUrl }))),
    );
  }
  const restored = deadLettered.length > 0 ? await restoreDeadLetters(options, deadLettered) : 0;
  // entries journalled while this ran come after the ones read; they stay
  const appended = options.journal.read().entries.slice(entries.length);
  options.journal.rewrite([...open, ...appended]);
  return { replayed: pending.length, committed: committed.size, torn, deadLettered: deadLettered.length, restored };
}

/** Sends to the DLQ the dead letters it no longer holds (its keys, read without consuming). */
async function restoreDeadLetters(
  options: { sqs: SQSClient; queueUrl: string },
  deadLetters: DeadLetterEntry[],
): Promise<number> {
  const dlqUrl = await deadLetterQueueOf(options.sqs, options.queueUrl);
  if (!dlqUrl) return 0;
  const held = new Set(
    (await peek(options.sqs, dlqUrl, Number.POSITIVE_INFINITY)).map(
      (message) => message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.key]?.StringValue,
    ),
  );
  const lost = deadLetters.filter((entry) => !held.has(entry.key));
  for (const entry of lost) await options.sqs.send(new SendMessageCommand({ ...entry.deadLetter, QueueUrl: dlqUrl }));
  return lost.length;
}

/** The DLQ the queue's redrive policy names, by its URL at this moto. */
async function deadLetterQueueOf(sqs: SQSClient, queueUrl: string): Promise<string | undefined> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
  );
  const arn = Attributes?.RedrivePolicy ? JSON.parse(Attributes.RedrivePolicy).deadLetterTargetArn : undefined;
  if (typeof arn !== 'string') return undefined;
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: arn.split(':').at(-1) }));
  return QueueUrl;
}

async function existingRecords(dynamo: DynamoDBDocumentClient, table: string, keys: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let start = 0; start < keys.length; start += 100) {
    let request:
      | Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean; ProjectionExpression: string }>
      | undefined = {
      [table]: {
        Keys: keys.slice(start, start + 100).map((pk) => ({ pk })),
        ConsistentRead: true,
        ProjectionExpression: 'pk',
      },
    };
    while (request && Object.keys(request).length > 0) {
      const { Responses, UnprocessedKeys } = await dynamo.send(new BatchGetCommand({ RequestItems: request }));
      for (const item of Responses?.[table] ?? []) found.add(item.pk as string);
      request = UnprocessedKeys as typeof request;
    }
  }
  return found;
}
