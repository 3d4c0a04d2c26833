import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { UsageError } from './exit-codes.js';

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

export interface OutboxEntry {
  messageId: string;
  status: OutboxStatus;
  type: string;
  destination: Record<string, unknown>;
  sourceKey: string;
  createdAt: string;
  attempts: number;
  history: { at: string; ok: boolean; error?: string }[];
  republishedAt?: string;
}

/** Outbox messages not delivered (or only those with `status`), oldest first. */
export async function listOutbox(options: {
  dynamo: DynamoDBDocumentClient;
  table: string;
  status?: 'pending' | 'failed';
  max?: number;
}): Promise<OutboxEntry[]> {
  const found: OutboxEntry[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await options.dynamo.send(
      new ScanCommand({
        TableName: options.table,
        ExclusiveStartKey: start,
        ConsistentRead: true,
        FilterExpression: options.status ? '#status = :status' : '#status <> :delivered',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: options.status ? { ':status': options.status } : { ':delivered': 'delivered' },
      }),
    );
    found.push(...((page.Items ?? []) as OutboxEntry[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return found
    .sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)))
    .slice(0, options.max ?? Number.POSITIVE_INFINITY);
}

export interface RepublishResult {
  republished: string[];
  /** id → why it was left alone */
  skipped: Record<string, string>;
}

/**
 * Hands messages to the publisher again: each item is deleted and put back as it was, `pending`,
 * with its history kept and a new retry window. The put is an INSERT on the table's stream, the
 * only event the publisher's filter passes, so the deployed publisher delivers it with its own
 * permissions and signing secret, under the same message id: a receiver that already has it
 * absorbs it as a duplicate. The delete only happens if the item is unchanged since it was read.
 */
export async function republish(options: {
  dynamo: DynamoDBDocumentClient;
  table: string;
  ids?: string[];
  allFailed?: boolean;
}): Promise<RepublishResult> {
  if (!options.allFailed && !options.ids?.length) {
    throw new UsageError('Name the messages to republish (their ids from `txonce outbox list`), or pass --all-failed.');
  }
  const ids = options.allFailed
    ? (await listOutbox({ dynamo: options.dynamo, table: options.table, status: 'failed' })).map(
        (item) => item.messageId,
      )
    : (options.ids as string[]);
  const result: RepublishResult = { republished: [], skipped: {} };
  for (const id of ids) {
    const { Item } = await options.dynamo.send(
      new GetCommand({ TableName: options.table, Key: { pk: id }, ConsistentRead: true }),
    );
    if (!Item) {
      result.skipped[id] = 'no such outbox message';
      continue;
    }
    if (Item.status === 'delivered') {
      result.skipped[id] = `already delivered at ${Item.deliveredAt}`;
      continue;
    }
    try {
      await options.dynamo.send(
        new DeleteCommand({
          TableName: options.table,
          Key: { pk: id },
          ConditionExpression: '#status = :status AND #attempts = :attempts',
          ExpressionAttributeNames: { '#status': 'status', '#attempts': 'attempts' },
          ExpressionAttributeValues: { ':status': Item.status, ':attempts': Item.attempts },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      result.skipped[id] = 'the publisher is working on it right now (it changed while we looked); try again later';
      continue;
    }
    const { firstAttemptAt: _window, ...kept } = Item;
    const again = { ...kept, status: 'pending', republishedAt: new Date().toISOString() };
    await putBack(options.dynamo, options.table, again);
    result.republished.push(id);
  }
  return result;
}

/** The item was deleted: putting it back must not be given up quietly. */
async function putBack(dynamo: DynamoDBDocumentClient, table: string, item: Record<string, unknown>): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await dynamo.send(
        new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return; // already back
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
    }
  }
  throw new Error(
    `Outbox message ${String(item.pk)} was taken out to be republished but could not be put back (${(lastError as Error).message}). Put it back once the table answers: aws dynamodb put-item --table-name ${table} --item '${JSON.stringify(marshall(item, { removeUndefinedValues: true }))}'`,
    { cause: lastError },
  );
}
