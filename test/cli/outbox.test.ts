import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPublisher } from '../../functions/publisher/publisher.js';
import { Idempotency } from '../../lib/index.js';
import { type RunningGateway, startHttpGateway } from '../../local/http-gateway.js';
import { DynamoStreamPoller } from '../../local/stream-poller.js';
import { createTable, getItem, localClient } from '../support/dynamo.js';
import { runCommandAsync, TXONCE_CLI } from '../support/processes.js';
import { createQueues, eventually, localSqs } from '../support/sqs.js';
import { standardWebhooksSecret } from '../support/webhook-signers.js';

const dynamo = localClient();
const sqs = localSqs();
const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const signingSecret = standardWebhooksSecret();
let receiverUp = false;
const delivered = new Map<string, number>();
let receiver: RunningGateway;
let poller: DynamoStreamPoller;
let outboxTable: string;
let store: Idempotency;

const cli = (...args: string[]) =>
  runCommandAsync([...TXONCE_CLI, '--endpoint', inject('dynamoEndpoint'), 'outbox', ...args], {
    TXONCE_STATE_FILE: '/nonexistent/state.json',
  });

beforeAll(async () => {
  receiver = await startHttpGateway({
    routes: [
      {
        method: 'POST',
        path: '/partner',
        handler: async (event) => {
          if (!receiverUp) return { statusCode: 503, body: 'partner down' };
          const id = event.headers['webhook-id'] as string;
          delivered.set(id, (delivered.get(id) ?? 0) + 1);
          return { statusCode: 200, body: '{}' };
        },
      },
    ],
  });
  const dedupTable = await createTable(dynamo, 'dedup');
  outboxTable = await createTable(dynamo, 'outbox-cli', { stream: true });
  store = new Idempotency({ client: dynamo, tableName: dedupTable, source: 'shop', outboxTable });
  const { dlqUrl: failureQueueUrl } = await createQueues(sqs);
  poller = new DynamoStreamPoller({
    dynamo: new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), ...local }),
    streams: new DynamoDBStreamsClient({ endpoint: inject('dynamoEndpoint'), ...local }),
    tableName: outboxTable,
    filter: (record) => record.eventName === 'INSERT',
    handler: createPublisher({
      dynamo,
      outboxTable,
      targets: { webhookSecret: signingSecret },
      failureQueue: { client: sqs, queueUrl: failureQueueUrl },
      baseDelayMs: 20,
      maxDelayMs: 50,
      retryWindowMs: 200,
      logger: new Logger({ serviceName: 'outbox-cli-test', logLevel: 'SILENT' }),
    }),
  });
  await poller.start();
});

afterAll(async () => {
  await poller?.stop();
  await receiver?.stop();
});

describe('txonce outbox', () => {
  it('lists failed messages with their history, and republishes them under the same id once the cause is fixed', async () => {
    const ids: string[] = [];
    for (const invoice of ['inv-a', 'inv-b']) {
      const outcome = await store.run({ key: `order-${invoice}` }, (tx) =>
        tx.emit({
          destination: { kind: 'webhook', url: `${receiver.url}/partner` },
          type: 'receipt',
          payload: { invoice },
        }),
      );
      ids.push(outcome.result as string);
    }
    await eventually('both messages are marked failed', async () =>
      (await Promise.all(ids.map((id) => getItem(dynamo, outboxTable, id)))).every((item) => item?.status === 'failed'),
    );

    const listed = await cli('list', '--table', outboxTable);
    expect(listed.status, listed.stderr).toBe(0);
    for (const id of ids) expect(listed.stdout).toContain(`${id}  failed`);
    expect(listed.stdout).toMatch(/history\s+\S+\s+failed: .*answered 503/);
    expect(listed.stdout).toContain('2 message(s).');

    receiverUp = true; // the partner is back
    const republished = await cli('republish', '--all-failed', '--table', outboxTable);
    expect(republished.status, republished.stderr).toBe(0);
    expect(republished.stdout).toContain('2 message(s) handed to the publisher again');

    await eventually('both are delivered', async () =>
      (await Promise.all(ids.map((id) => getItem(dynamo, outboxTable, id)))).every(
        (item) => item?.status === 'delivered',
      ),
    );
    for (const id of ids) expect(delivered.get(id)).toBe(1);
    const item = await getItem(dynamo, outboxTable, ids[0]);
    expect(item?.republishedAt).toBeDefined();
    expect((item?.history as { ok: boolean }[] | undefined)?.at(-1)?.ok).toBe(true);

    const after = await cli('list', '--table', outboxTable);
    expect(after.stdout).toContain('No undelivered outbox messages.');
  }, 90_000);

  it('says plainly what it could not republish, with exit status 3 for an unknown id and 2 for no id at all', async () => {
    const unknown = await cli('republish', 'msg_nope', '--table', outboxTable);
    expect(unknown.status).toBe(3);
    expect(unknown.stdout).toContain('skipped     msg_nope: no such outbox message');
    const none = await cli('republish', '--table', outboxTable);
    expect(none.status).toBe(2);
    expect(none.stderr.trim()).toBe(
      'Name the messages to republish (their ids from `txonce outbox list`), or pass --all-failed.',
    );
  }, 60_000);
});
