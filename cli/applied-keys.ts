import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RECORD, recordKey } from '../lib/record.js';

/**
 * Which of these keys have a dedup record under `namespace`: the events already applied. Strongly
 * consistent reads, 100 keys a request (BatchGetItem's limit), unprocessed keys asked again.
 */
export async function appliedKeys(options: {
  dynamo: DynamoDBDocumentClient;
  table: string;
  namespace: string;
  keys: readonly string[];
}): Promise<Set<string>> {
  const { dynamo, table, namespace } = options;
  const byRecord = new Map(options.keys.map((key) => [recordKey(namespace, key), key]));
  const applied = new Set<string>();
  const records = [...byRecord.keys()];
  for (let start = 0; start < records.length; start += 100) {
    let keys: Record<string, unknown>[] | undefined = records
      .slice(start, start + 100)
      .map((pk) => ({ [RECORD.key]: pk }));
    for (let round = 0; keys && keys.length > 0; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
      const answer: BatchGetCommandOutput = await dynamo.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: keys,
              ProjectionExpression: '#pk',
              ExpressionAttributeNames: { '#pk': RECORD.key },
              ConsistentRead: true,
            },
          },
        }),
      );
      for (const item of answer.Responses?.[table] ?? []) {
        const key = byRecord.get(String(item[RECORD.key]));
        if (key !== undefined) applied.add(key);
      }
      keys = answer.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return applied;
}
