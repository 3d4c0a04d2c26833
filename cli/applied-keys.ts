import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { recordKey } from '../lib/store/dedup-key.js';
import { readRecords } from '../lib/store/dedup-record-reads.js';

/** The store's default TTL attribute: an expired record that DynamoDB has not deleted yet counts as absent. */
const TTL_ATTRIBUTE = 'expiresAt';

/**
 * Which of these keys have a dedup record under `namespace`: the events already applied. Read as
 * the store's precheck reads them (BatchGetItem, 100 keys a call), strongly consistent.
 */
export async function appliedKeys(options: {
  dynamo: DynamoDBDocumentClient;
  table: string;
  namespace: string;
  keys: readonly string[];
}): Promise<Set<string>> {
  const byRecord = new Map(options.keys.map((key) => [recordKey(options.namespace, key), key]));
  const records = await readRecords(
    { client: options.dynamo, tableName: options.table, ttlAttribute: TTL_ATTRIBUTE, consistentRead: true },
    byRecord.keys(),
  );
  const applied = new Set<string>();
  for (const [record, item] of records) if (item) applied.add(byRecord.get(record) as string);
  return applied;
}
