import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { recordKey } from '../lib/index.js';
import { Journal } from '../local/journal.js';
import { replayJournal } from '../local/replay.js';
import { createTable, localClient } from './support/dynamo.js';
import { createQueues, drainMessages, localSqs } from './support/sqs.js';

const dynamo = localClient();
const sqs = localSqs();

describe('the journal of accepted webhooks', () => {
  it('queues again, once per key, only what has no dedup record, keeps only those, and counts a line cut short', async () => {
    const dedupTable = await createTable(dynamo, 'dedup');
    const { queueUrl } = await createQueues(sqs);
    const journal = new Journal(join(mkdtempSync(join(tmpdir(), 'txonce-journal-')), 'accepted.ndjson'));
    const entry = (key: string) => ({
      at: new Date().toISOString(),
      source: 'shop',
      key,
      message: {
        QueueUrl: 'http://old-moto/queue',
        MessageBody: `{"id":"${key}"}`,
        MessageAttributes: { idempotencyKey: { DataType: 'String', StringValue: key } },
      },
    });
    for (const key of ['evt_done', 'evt_open', 'evt_open', 'evt_done_too']) journal.append(entry(key));
    appendFileSync(journal.file, '{"at":"2026-11-29T10:00:00Z","sour'); // killed mid-write
    for (const key of ['evt_done', 'evt_done_too'])
      await dynamo.send(new PutCommand({ TableName: dedupTable, Item: { pk: recordKey('shop', key) } }));

    const report = await replayJournal({ journal, dynamo, dedupTable, sqs, queueUrl });

    expect(report).toEqual({ replayed: 1, committed: 2, torn: 1 });
    const queued = await drainMessages(sqs, queueUrl);
    expect(queued.map((message) => message.MessageAttributes?.idempotencyKey?.StringValue)).toEqual(['evt_open']);
    expect(
      readFileSync(journal.file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).key),
    ).toEqual(['evt_open']);
  });
});
