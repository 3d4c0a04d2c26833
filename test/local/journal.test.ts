import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { recordKey } from '../../lib/index.js';
import { Journal } from '../../local/journal.js';
import { replayJournal } from '../../local/replay.js';
import { createTable, localClient } from '../support/dynamo.js';
import { createQueues, drainMessages, localSqs, queueDepth } from '../support/sqs.js';

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

    expect(report).toEqual({ replayed: 1, committed: 2, torn: 1, deadLettered: 0, restored: 0 });
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

describe('the journal and dead-lettered events', () => {
  const accepted = (queueUrl: string, key: string) => ({
    QueueUrl: queueUrl,
    MessageBody: `{"id":"${key}"}`,
    MessageAttributes: { idempotencyKey: { DataType: 'String' as const, StringValue: key } },
  });
  /** the dead letter the consumer sent for `key`, as it passes the journal */
  const deadLetter = (dlqUrl: string, key: string) => ({
    QueueUrl: dlqUrl,
    MessageBody: `{"id":"${key}"}`,
    MessageAttributes: {
      idempotencyKey: { DataType: 'String' as const, StringValue: key },
      'txonce.deadLetter': { DataType: 'String' as const, StringValue: '{"errorName":"PermanentError"}' },
    },
  });

  async function setUp() {
    const dedupTable = await createTable(dynamo, 'dedup');
    const { queueUrl, dlqUrl } = await createQueues(sqs);
    const journal = new Journal(join(mkdtempSync(join(tmpdir(), 'txonce-journal-')), 'accepted.ndjson'));
    const replay = () => replayJournal({ journal, dynamo, dedupTable, sqs, queueUrl });
    const record = (message: ReturnType<typeof accepted>) =>
      journal.record(message, { source: 'shop', eventQueueUrl: queueUrl, deadLetterQueueUrl: dlqUrl });
    return { dedupTable, queueUrl, dlqUrl, journal, replay, record };
  }

  it('does not queue again an event that was dead-lettered: a start leaves it in the DLQ, once', async () => {
    const { queueUrl, dlqUrl, replay, record } = await setUp();
    record(accepted(queueUrl, 'evt_poison'));
    record(deadLetter(dlqUrl, 'evt_poison'));
    await sqs.send(new SendMessageCommand(deadLetter(dlqUrl, 'evt_poison'))); // the DLQ holds it

    expect(await replay()).toMatchObject({ replayed: 0, deadLettered: 1, restored: 0 });
    expect(await replay()).toMatchObject({ replayed: 0, deadLettered: 1, restored: 0 });
    expect(await queueDepth(sqs, queueUrl)).toBe(0);
    expect(await queueDepth(sqs, dlqUrl)).toBe(1);
  });

  it('puts a dead letter the DLQ lost (moto restarted) back into the DLQ with its reason, not into the queue', async () => {
    const { queueUrl, dlqUrl, replay, record } = await setUp();
    record(accepted(queueUrl, 'evt_poison'));
    record(deadLetter(dlqUrl, 'evt_poison'));

    expect(await replay()).toMatchObject({ replayed: 0, deadLettered: 1, restored: 1 });
    expect(await queueDepth(sqs, queueUrl)).toBe(0);
    const [restored] = await drainMessages(sqs, dlqUrl);
    expect(restored.MessageAttributes?.['txonce.deadLetter']?.StringValue).toContain('PermanentError');
  });

  it('queues again an event redriven after its dead-lettering that has not committed, and forgets one that has', async () => {
    const { dedupTable, queueUrl, dlqUrl, journal, replay, record } = await setUp();
    for (const key of ['evt_redriven', 'evt_fixed']) {
      record(accepted(queueUrl, key));
      record(deadLetter(dlqUrl, key));
      record(accepted(queueUrl, key)); // the redrive's copy, back in the queue
    }
    await dynamo.send(new PutCommand({ TableName: dedupTable, Item: { pk: recordKey('shop', 'evt_fixed') } }));

    expect(await replay()).toMatchObject({ replayed: 1, committed: 1, deadLettered: 0, restored: 0 });
    const queued = await drainMessages(sqs, queueUrl);
    expect(queued.map((message) => message.MessageAttributes?.idempotencyKey?.StringValue)).toEqual(['evt_redriven']);
    expect(await queueDepth(sqs, dlqUrl)).toBe(0);
    expect(journal.read().entries.map((entry) => entry.key)).toEqual(['evt_redriven']);
  });

  it('journals only what goes to the event queue or the DLQ', async () => {
    const { queueUrl, journal, record } = await setUp();
    record({ ...accepted(`${queueUrl}-other`, 'evt_elsewhere') });
    expect(journal.read().entries).toEqual([]);
  });
});
