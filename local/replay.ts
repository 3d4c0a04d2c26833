import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { recordKey } from '../lib/index.js';
import type { Journal, JournalEntry } from './journal.js';

export interface ReplayReport {
  /** accepted events with no dedup record: queued again */
  replayed: number;
  /** accepted events already committed: dropped from the journal */
  committed: number;
  /** journal lines cut short by a kill: never answered 202 (the sender retries them) */
  torn: number;
}

/**
 * Queues again every journalled event the dedup table has no record of (once per key), and
 * keeps only those in the journal. A replayed event that did commit meanwhile is a duplicate
 * to the consumer, so replaying too much is harmless; replaying too little is what this avoids.
 */
export async function replayJournal(options: {
  journal: Journal;
  dynamo: DynamoDBDocumentClient;
  dedupTable: string;
  sqs: SQSClient;
  queueUrl: string;
}): Promise<ReplayReport> {
  const { entries, torn } = options.journal.read();
  const byRecord = new Map<string, JournalEntry>();
  for (const entry of entries) {
    const pk = recordKey(entry.source, entry.key);
    if (!byRecord.has(pk)) byRecord.set(pk, entry);
  }
  const committed = await existingRecords(options.dynamo, options.dedupTable, [...byRecord.keys()]);
  const pending = [...byRecord].filter(([pk]) => !committed.has(pk)).map(([, entry]) => entry);
  for (let start = 0; start < pending.length; start += 10) {
    await Promise.all(
      pending
        .slice(start, start + 10)
        .map((entry) => options.sqs.send(new SendMessageCommand({ ...entry.message, QueueUrl: options.queueUrl }))),
    );
  }
  // entries journalled while this ran come after the ones read; they stay
  const appended = options.journal.read().entries.slice(entries.length);
  options.journal.rewrite([...pending, ...appended]);
  return { replayed: pending.length, committed: committed.size, torn };
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
