import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { pause, unlessAborted } from './abortable.js';
import { PollLoop } from './poll-loop.js';

export interface StreamPollerOptions {
  dynamo: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  tableName: string;
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;
  /** Like the event source mapping's filter criteria; default: every record. */
  filter?: (record: DynamoDBRecord) => boolean;
  batchSize?: number;
  /** Retries of a failing batch before it is handed to `onFailure` and skipped. Default 3. */
  maxRetries?: number;
  onFailure?: (records: DynamoDBRecord[], error: unknown) => void;
  pollIntervalMs?: number;
  /** Like BisectBatchOnFunctionError: a batch whose invocation fails is split in two, each half retried. Default false. */
  bisectBatchOnError?: boolean;
  /** TRIM_HORIZON (default): every record from the start of each shard; LATEST: only records written after start. */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
}

/**
 * Lambda's DynamoDB Streams event source mapping, on one machine: reads every shard from its
 * start, filters, invokes the handler with a real DynamoDBStreamEvent, and on a partial batch
 * response retries from the first failed record, up to `maxRetries`, then hands the batch to
 * `onFailure` (the mapping's on-failure destination) and moves on.
 */
export class DynamoStreamPoller {
  /** stop() ends waits, SDK calls and retries at once */
  private readonly polling = new PollLoop();
  private streamArn = '';
  private readonly iterators = new Map<string, string>();
  private readonly finishedShards = new Set<string>();
  /** the last sequence number handed to the handler, per shard: where to resume */
  private readonly positions = new Map<string, string>();

  constructor(private readonly options: StreamPollerOptions) {}

  async start(): Promise<void> {
    const { Table } = await this.options.dynamo.send(new DescribeTableCommand({ TableName: this.options.tableName }));
    if (!Table?.LatestStreamArn)
      throw new Error(`Table ${this.options.tableName} has no stream: create it with a StreamSpecification.`);
    this.streamArn = Table.LatestStreamArn;
    this.polling.start({
      turn: () => this.readShards(),
      failed: (error) => this.options.onFailure?.([], error),
    });
  }

  /**
   * Stops at once: no further read or retry, and a batch in flight is not waited for (its
   * function runs on until its own timeout; a new poller reads those records again, as
   * Lambda's mapping would after a restart: at least once).
   */
  async stop(): Promise<void> {
    await this.polling.stop();
  }

  /** One pass over every shard; waits a poll interval when none had anything new. */
  private async readShards(): Promise<void> {
    await this.discoverShards();
    let read = 0;
    for (const [shardId, iterator] of [...this.iterators]) read += await this.readShard(shardId, iterator);
    if (read === 0) await pause(this.options.pollIntervalMs ?? 200, this.polling.signal);
  }

  private async discoverShards(): Promise<void> {
    const { StreamDescription } = await this.options.streams.send(
      new DescribeStreamCommand({ StreamArn: this.streamArn }),
      { abortSignal: this.polling.signal },
    );
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId as string;
      if (this.iterators.has(shardId) || this.finishedShards.has(shardId)) continue;
      await this.resetIterator(shardId);
    }
  }

  /** From the start of the shard, or just after the last record handled. */
  private async resetIterator(shardId: string): Promise<void> {
    const after = this.positions.get(shardId);
    const { ShardIterator } = await this.options.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shardId,
        ShardIteratorType: after ? 'AFTER_SEQUENCE_NUMBER' : (this.options.startingPosition ?? 'TRIM_HORIZON'),
        SequenceNumber: after,
      }),
      { abortSignal: this.polling.signal },
    );
    if (ShardIterator) this.iterators.set(shardId, ShardIterator);
  }

  private async readShard(shardId: string, iterator: string): Promise<number> {
    let page: GetRecordsCommandOutput;
    try {
      page = await this.options.streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: this.options.batchSize ?? 100 }),
        { abortSignal: this.polling.signal },
      );
    } catch (error) {
      // DynamoDB Local invalidates an iterator left at the end of a shard once another table's
      // write takes the next sequence number; an expired iterator is the same story. Resume.
      const name = (error as Error).name;
      if (name !== 'TrimmedDataAccessException' && name !== 'ExpiredIteratorException') throw error;
      await this.resetIterator(shardId);
      return 0;
    }
    const { Records = [], NextShardIterator } = page;
    const records = Records.map((record) => this.toLambdaRecord(record)).filter(this.options.filter ?? (() => true));
    if (records.length > 0) await this.invoke(records);
    const last = Records.at(-1)?.dynamodb?.SequenceNumber;
    if (last) this.positions.set(shardId, last);
    if (NextShardIterator) this.iterators.set(shardId, NextShardIterator);
    else {
      this.iterators.delete(shardId);
      this.finishedShards.add(shardId);
    }
    return Records.length;
  }

  private async invoke(records: DynamoDBRecord[]): Promise<void> {
    let pending = records;
    const maxRetries = this.options.maxRetries ?? 3;
    for (let attempt = 0; this.polling.running; attempt++) {
      let failedFrom: number;
      let error: unknown;
      try {
        const outcome = await unlessAborted(this.options.handler({ Records: pending }), this.polling.signal);
        if ('aborted' in outcome) return;
        const response = outcome.value;
        const failed = (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
        if (failed.length === 0) return;
        failedFrom = pending.findIndex((record) => failed.includes(record.dynamodb?.SequenceNumber as string));
        if (failedFrom < 0) failedFrom = 0; // an identifier not in the batch fails the batch, as on Lambda
        error = new Error(`batch item failures: ${failed.join(', ')}`);
      } catch (caught) {
        if (this.options.bisectBatchOnError && pending.length > 1) {
          // Lambda splits the batch and retries each half, so one bad record does not hold the rest
          const middle = Math.ceil(pending.length / 2);
          await this.invoke(pending.slice(0, middle));
          await this.invoke(pending.slice(middle));
          return;
        }
        failedFrom = 0;
        error = caught;
      }
      pending = pending.slice(failedFrom);
      if (maxRetries >= 0 && attempt >= maxRetries) {
        this.options.onFailure?.(pending, error);
        return;
      }
      await pause(100 * 2 ** attempt, this.polling.signal);
    }
  }

  private toLambdaRecord(record: StreamRecord): DynamoDBRecord {
    const { dynamodb } = record;
    return {
      eventID: record.eventID,
      eventName: record.eventName as DynamoDBRecord['eventName'],
      eventVersion: record.eventVersion,
      eventSource: 'aws:dynamodb',
      awsRegion: record.awsRegion ?? 'us-east-1',
      eventSourceARN: this.streamArn,
      dynamodb: {
        ApproximateCreationDateTime: dynamodb?.ApproximateCreationDateTime
          ? Math.floor(new Date(dynamodb.ApproximateCreationDateTime).getTime() / 1000)
          : undefined,
        Keys: dynamodb?.Keys as never,
        NewImage: dynamodb?.NewImage as never,
        OldImage: dynamodb?.OldImage as never,
        SequenceNumber: dynamodb?.SequenceNumber,
        SizeBytes: dynamodb?.SizeBytes,
        StreamViewType: dynamodb?.StreamViewType as never,
      },
    };
  }
}
