import type { DynamoDBRecord, KinesisStreamRecord } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  dynamodbStreamBatchHandler,
  Idempotency,
  kinesisBatchHandler,
  kinesisJson,
  type StreamRecordOutcome,
} from '../../../lib/index.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { createTable, getItem, localClient } from '../../support/dynamo.js';
import { dynamodbEvent, dynamodbRecords, kinesisEvent, kinesisRecords } from '../../support/stream-events.js';

// Ordered-stream batches at their edges: a failed record Lambda could not checkpoint at, the
// reason each skipped record carries, and what the log says when the outcome hook throws.

const client = localClient();
let store: Idempotency;
let ledger: string;

beforeAll(async () => {
  const [dedupTable, ledgerTable] = await Promise.all([createTable(client, 'dedup'), createTable(client, 'ledger')]);
  ledger = ledgerTable;
  store = new Idempotency({ client, tableName: dedupTable, source: 'stream-edges' });
});
afterEach(() => vi.restoreAllMocks());

const deposit = (
  record: KinesisStreamRecord,
  tx: Parameters<Parameters<typeof kinesisBatchHandler>[0]['handler']>[1],
) => {
  const { account, amount, poison } = kinesisJson<{ account: string; amount: number; poison?: boolean }>(record);
  if (poison) throw new Error('ledger service unavailable');
  tx.update({
    TableName: ledger,
    Key: { pk: account },
    UpdateExpression: 'ADD balance :a',
    ExpressionAttributeValues: { ':a': amount },
  });
};
const withoutSequenceNumber = (record: KinesisStreamRecord) =>
  ({ ...record, kinesis: { ...record.kinesis, sequenceNumber: undefined } }) as unknown as KinesisStreamRecord;

describe('ordered stream batches at their edges', () => {
  it('a failed record without a sequence number fails the invocation, saying why, with the handler’s error as cause', async () => {
    const records = kinesisRecords([
      { account: 'edge-1', amount: 5 },
      { account: 'edge-1', amount: 7, poison: true },
    ]);
    records[1] = withoutSequenceNumber(records[1]);
    const handler = kinesisBatchHandler({ store, handler: deposit });

    const error = await handler(kinesisEvent(records), lambdaContext()).then(
      () => expect.unreachable('the invocation should fail'),
      (thrown: Error) => thrown,
    );

    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('kinesisBatchHandler: a record that failed has no sequence number to checkpoint at');
    expect((error.cause as Error).message).toBe('ledger service unavailable');
    expect((await getItem(client, ledger, 'edge-1'))?.balance).toBe(5);
  });

  it('after a failed record, the rest are skipped as earlier-in-shard-failed, with no key and no error of their own', async () => {
    const outcomes: StreamRecordOutcome<KinesisStreamRecord, unknown>[] = [];
    const handler = kinesisBatchHandler({
      store,
      handler: deposit,
      onOutcome: (outcome) => void outcomes.push(outcome),
    });
    const records = kinesisRecords([
      { account: 'edge-2', amount: 1, poison: true },
      { account: 'edge-2', amount: 2 },
    ]);

    await handler(kinesisEvent(records), lambdaContext());

    expect(outcomes.map((outcome) => (outcome.status === 'failed' ? outcome.reason : outcome.status))).toEqual([
      'error',
      'earlier-in-shard-failed',
    ]);
    expect(outcomes[0]).toMatchObject({ key: records[0].eventID, record: records[0] });
    expect(outcomes[1]).toEqual({
      status: 'failed',
      record: records[1],
      key: undefined,
      error: undefined,
      reason: 'earlier-in-shard-failed',
    });
  });

  it('logs a throwing outcome hook with the record’s sequence number, or "(no sequence number)"', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const hookError = new Error('metrics down');
    const handler = kinesisBatchHandler({
      store,
      handler: deposit,
      onOutcome: () => {
        throw hookError;
      },
    });
    const records = kinesisRecords([
      { account: 'edge-3', amount: 1 },
      { account: 'edge-3', amount: 2 },
    ]);
    records[1] = withoutSequenceNumber(records[1]);

    expect(await handler(kinesisEvent(records), lambdaContext())).toEqual({ batchItemFailures: [] });

    expect(logged.mock.calls).toEqual([
      [`kinesisBatchHandler: onOutcome threw for record ${records[0].kinesis.sequenceNumber}`, hookError],
      ['kinesisBatchHandler: onOutcome threw for record (no sequence number)', hookError],
    ]);
  });

  it('a DynamoDB stream change is checkpointed at its own SequenceNumber', async () => {
    const changes = dynamodbRecords([
      { pk: 'change-1', amount: 1 },
      { pk: 'change-2', amount: 2 },
    ]);
    const handler = dynamodbStreamBatchHandler({
      store,
      handler: (record: DynamoDBRecord) => {
        if (record.dynamodb?.Keys?.pk?.S === 'change-2') throw new Error('refused');
      },
    });
    expect(await handler(dynamodbEvent(changes), lambdaContext())).toEqual({
      batchItemFailures: [{ itemIdentifier: changes[1].dynamodb?.SequenceNumber }],
    });
    const noSequence = { ...changes[1], eventID: 'ddb-other', dynamodb: { ...changes[1].dynamodb } };
    delete noSequence.dynamodb.SequenceNumber;
    await expect(handler(dynamodbEvent([noSequence]), lambdaContext())).rejects.toThrow(
      'dynamodbStreamBatchHandler: a record that failed has no sequence number to checkpoint at',
    );
  });
});
