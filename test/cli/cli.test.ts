import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { redrive } from '../../cli/redrive.js';
import { createConsumer } from '../../functions/consumer/consumer.js';
import { Idempotency } from '../../lib/index.js';
import { SqsPoller } from '../../local/sqs-poller.js';
import { createTable, getItem, localClient } from '../support/dynamo.js';
import { runCommand, runCommandAsync, TXONCE_CLI } from '../support/processes.js';
import {
  createQueues,
  drainMessages,
  eventually,
  localSqs,
  purgeQueue,
  queueDepth,
  sendEvent,
} from '../support/sqs.js';

// EMF lines would flood the test output; consumer.test.ts checks them
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const dynamo = localClient();
const sqs = localSqs();
const cli = (...args: string[]) =>
  runCommand([...TXONCE_CLI, '--endpoint', inject('sqsEndpoint'), ...args], {
    TXONCE_STATE_FILE: '/nonexistent/state.json',
  });

function invoicePaid(invoiceId: string, customerId: string, amount: number) {
  return { type: 'invoice.paid', data: { invoiceId, customerId, amount, currency: 'EUR' } };
}

describe('redrive after fixing the cause', () => {
  let poller: SqsPoller;
  afterAll(() => poller?.stop());

  it('applies every dead-lettered event exactly once once the cause is fixed', async () => {
    const [dedupTable, invoicesTable] = await Promise.all([
      createTable(dynamo, 'dedup'),
      createTable(dynamo, 'invoices'),
    ]);
    const customersTable = `customers-missing-${Date.now()}`; // the cause: deployed before its table
    const { queueUrl, dlqUrl } = await createQueues(sqs, { maxReceiveCount: 2 });
    const consumer = createConsumer({
      store: new Idempotency({ client: dynamo, tableName: dedupTable, source: 'redrive' }),
      tables: { invoicesTable, customersTable },
      deadLetter: { client: sqs, queueUrl: dlqUrl },
      logger: new Logger({ serviceName: 'redrive-test', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'test', serviceName: 'redrive-test' }),
    });
    poller = new SqsPoller({ client: sqs, queueUrl, handler: consumer, waitTimeSeconds: 0 });
    await poller.start();

    await sendEvent(sqs, queueUrl, invoicePaid('inv_r1', 'cus_redrive', 100), { idempotencyKey: 'evt_r1' });
    await sendEvent(sqs, queueUrl, invoicePaid('inv_r2', 'cus_redrive', 20), { idempotencyKey: 'evt_r2' });
    await sendEvent(sqs, queueUrl, invoicePaid('inv_r2', 'cus_redrive', 20), { idempotencyKey: 'evt_r2' }); // a resend
    await eventually('all three reach the DLQ', async () => (await queueDepth(sqs, dlqUrl)) === 3, 30_000);

    // fix the cause, then redrive with the CLI, which falls back to copying where moto lacks the move task
    const { CreateTableCommand } = await import('@aws-sdk/client-dynamodb');
    await dynamo.send(
      new CreateTableCommand({
        TableName: customersTable,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    // not blocking this process: its poller consumes the copies while the redrive watches them
    const result = await runCommandAsync([...TXONCE_CLI, '--endpoint', inject('sqsEndpoint'), 'redrive', dlqUrl], {
      TXONCE_STATE_FILE: '/nonexistent/state.json',
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/moved 3 message\(s\) to .*events-[0-9a-f]{8} \(copy\)/);
    expect(result.stdout).not.toMatch(/failed again|had not come back/);

    await eventually(
      'the queue and the DLQ are empty',
      async () => (await queueDepth(sqs, queueUrl)) + (await queueDepth(sqs, dlqUrl)) === 0,
      30_000,
    );
    expect((await getItem(dynamo, customersTable, 'cus_redrive'))?.paidTotal).toBe(120);
    expect((await getItem(dynamo, customersTable, 'cus_redrive'))?.invoiceCount).toBe(2);
  }, 90_000);
});

describe('redrive with a message that fails again', () => {
  let poller: SqsPoller;
  afterAll(() => poller?.stop());

  it('moves what was in the DLQ when it started, then ends, leaving the poison message in the DLQ', async () => {
    const [dedupTable, invoicesTable, customersTable] = await Promise.all([
      createTable(dynamo, 'dedup'),
      createTable(dynamo, 'invoices'),
      createTable(dynamo, 'customers'),
    ]);
    const { queueUrl, dlqUrl } = await createQueues(sqs, { maxReceiveCount: 2 });
    const consumer = createConsumer({
      store: new Idempotency({ client: dynamo, tableName: dedupTable, source: 'poison' }),
      tables: { invoicesTable, customersTable },
      // a permanent failure is dead-lettered at once, straight back into the DLQ being redriven
      deadLetter: { client: sqs, queueUrl: dlqUrl },
      logger: new Logger({ serviceName: 'redrive-test', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'test', serviceName: 'redrive-test' }),
    });
    poller = new SqsPoller({ client: sqs, queueUrl, handler: consumer, waitTimeSeconds: 1 });
    await poller.start();
    await sendEvent(sqs, dlqUrl, invoicePaid('inv_p1', 'cus_poison', -1), { idempotencyKey: 'evt_poison' });
    await sendEvent(sqs, dlqUrl, invoicePaid('inv_p2', 'cus_poison', 30), { idempotencyKey: 'evt_good' });

    const result = await runCommandAsync([...TXONCE_CLI, '--endpoint', inject('sqsEndpoint'), 'redrive', dlqUrl], {
      TXONCE_STATE_FILE: '/nonexistent/state.json',
    });

    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/moved 2 message\(s\)/);
    expect(result.stdout).toContain('1 of them failed again and are back in the DLQ');
    // not a terminal: progress comes as plain lines, not a bar
    expect(result.stderr).toMatch(/^redrive: \d+\/2 moved/m);
    await eventually(
      'the good event is applied',
      async () => (await getItem(dynamo, customersTable, 'cus_poison'))?.paidTotal === 30,
    );
    await eventually('the poison message is back in the DLQ', async () => (await queueDepth(sqs, dlqUrl)) === 1);
    const [left] = await drainMessages(sqs, dlqUrl);
    expect(left.MessageAttributes?.idempotencyKey?.StringValue).toBe('evt_poison');
  }, 150_000);
});

describe('txonce redrive options', () => {
  let queueUrl: string;
  let dlqUrl: string;
  beforeAll(async () => {
    ({ queueUrl, dlqUrl } = await createQueues(sqs));
  });

  async function fillDlq(count: number) {
    await purgeQueue(sqs, dlqUrl);
    await purgeQueue(sqs, queueUrl);
    for (let index = 0; index < count; index++)
      await sendEvent(sqs, dlqUrl, { index }, { idempotencyKey: `k${index}` });
  }

  it('--dry-run lists what would move and changes nothing', async () => {
    await fillDlq(3);
    const result = cli('redrive', dlqUrl, '--dry-run');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/dry run: 3 message\(s\) would move to .*events-[0-9a-f]{8}$/m);
    expect(await queueDepth(sqs, dlqUrl)).toBe(3);
    expect(await queueDepth(sqs, queueUrl)).toBe(0);
  });

  it('--max moves only that many, keeping their body and attributes', async () => {
    await fillDlq(3);
    const moved = await redrive({ sqs, dlqUrl, max: 2, watchSeconds: 0 });
    expect(moved).toMatchObject({ method: 'copy', moved: 2, destination: queueUrl });
    const arrived = await drainMessages(sqs, queueUrl);
    expect(arrived).toHaveLength(2);
    const keys = arrived.map((message) => message.MessageAttributes?.idempotencyKey?.StringValue);
    expect(new Set(keys).size).toBe(2);
    for (const key of keys) expect(key).toMatch(/^k[0-2]$/);
    expect(JSON.parse(arrived[0].Body ?? '{}')).toHaveProperty('index');
    expect(await queueDepth(sqs, dlqUrl)).toBe(1);
  });

  it('--rate paces the copies', async () => {
    await fillDlq(3);
    // when each copy is sent, seen on the way to SQS (the run's total time hides the pacing in its receives)
    const sentAt: number[] = [];
    const timed = {
      send: (command: { constructor: { name: string } }) => {
        if (command.constructor.name === 'SendMessageCommand') sentAt.push(performance.now());
        return sqs.send(command as never);
      },
    } as unknown as typeof sqs;

    const result = await redrive({ sqs: timed, dlqUrl, rate: 2, watchSeconds: 0 });

    expect(result).toMatchObject({ method: 'copy', moved: 3, destination: queueUrl });
    const keys = (await drainMessages(sqs, queueUrl)).map(
      (message) => message.MessageAttributes?.idempotencyKey?.StringValue,
    );
    expect(keys.sort()).toEqual(['k0', 'k1', 'k2']);
    expect(await queueDepth(sqs, dlqUrl)).toBe(0);
    // 2 per second: 500 ms between two copies (a timer may fire a millisecond early); unpaced, they
    // are a send and a delete apart, far less even on a busy machine
    expect(sentAt).toHaveLength(3);
    for (let index = 1; index < sentAt.length; index++) {
      expect(sentAt[index] - sentAt[index - 1]).toBeGreaterThanOrEqual(495);
    }
  });
});

describe('txonce dlq list and errors', () => {
  it('shows dead letters with their reason without consuming them, in the format of this version and of earlier ones', async () => {
    const { dlqUrl } = await createQueues(sqs);
    const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
    const text = (value: string) => ({ DataType: 'String', StringValue: value });
    const earlier = {
      idempotencyKey: text('evt_poison'),
      'txonce.errorName': text('PermanentError'),
      'txonce.errorMessage': text('data.amount must be positive'),
      'txonce.failedAt': text('2026-11-28T10:00:00.000Z'),
    };
    const current = {
      idempotencyKey: text('evt_reused'),
      'txonce.deadLetter': text(
        JSON.stringify({
          errorName: 'IdempotencyKeyReuseError',
          errorMessage: 'already used with a different payload',
          failedAt: '2026-12-01T09:00:00.000Z',
        }),
      ),
    };
    for (const MessageAttributes of [earlier, current])
      await sqs.send(
        new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: '{"type":"invoice.paid"}', MessageAttributes }),
      );
    const result = cli('dlq', 'list', dlqUrl);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('key       evt_poison');
    expect(result.stdout).toContain('why       PermanentError: data.amount must be positive');
    expect(result.stdout).toContain('key       evt_reused');
    expect(result.stdout).toContain('why       IdempotencyKeyReuseError: already used with a different payload');
    expect(result.stdout).toContain('failed at 2026-12-01T09:00:00.000Z');
    expect(result.stdout).toContain('2 message(s); none consumed.');
    expect(await queueDepth(sqs, dlqUrl)).toBe(2);
    expect((await drainMessages(sqs, dlqUrl)).length).toBe(2); // still visible
  });

  it('says so clearly when the queue does not exist or the endpoint does not answer', () => {
    const missing = cli('dlq', 'list', `${inject('sqsEndpoint')}/123456789012/no-such-dlq`);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('No such queue');

    const down = runCommand(
      [...TXONCE_CLI, '--endpoint', 'http://127.0.0.1:9', 'dlq', 'list', 'http://127.0.0.1:9/1/q'],
      {
        TXONCE_STATE_FILE: '/nonexistent/state.json',
      },
    );
    expect(down.status).toBe(1);
    expect(down.stderr).toContain('does not answer');
  });

  it('says how to provide AWS credentials when there are none', () => {
    const result = runCommand(
      [...TXONCE_CLI, '--region', 'eu-west-1', 'dlq', 'list', 'https://sqs.eu-west-1.amazonaws.com/1/dlq'],
      {
        TXONCE_STATE_FILE: '/nonexistent/state.json',
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_PROFILE: 'txonce-no-such-profile',
        AWS_CONFIG_FILE: '/nonexistent/config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('No AWS credentials found');
  });

  it('prints its version, and answers a bad argument with one sentence and exit status 2', () => {
    const version = cli('--version');
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);

    const bad = cli('redrive', 'http://127.0.0.1:9/1/dlq', '--max', 'abc');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toMatch(
      /^error: option '--max <n>' argument 'abc' is invalid\. expected a whole number above 0\.$/,
    );
    expect(bad.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('says a state file is stale instead of calling a stack that is gone, and counts in-flight DLQ messages', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const stale = join(mkdtempSync(join(tmpdir(), 'txonce-cli-')), 'local.json');
    writeFileSync(stale, JSON.stringify({ pid: 2 ** 22 + 11, sqsEndpoint: 'http://127.0.0.1:9' }));
    const result = runCommand([...TXONCE_CLI, 'dlq', 'list'], { TXONCE_STATE_FILE: stale });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(
      /^The state file .* names a local stack \(pid \d+\) that is no longer running; /,
    );

    const { dlqUrl } = await createQueues(sqs);
    await sendEvent(sqs, dlqUrl, { held: true });
    await drainMessages(sqs, dlqUrl); // received, invisible for a minute: as after an interrupted redrive
    const listed = cli('dlq', 'list', dlqUrl);
    expect(listed.stdout).toContain('No visible messages, but 1 in flight');
  });

  it("without a table and with no local stack, names the flag and what it takes, not this repository's npm start", () => {
    const result = runCommand([...TXONCE_CLI, 'inspect', 'stripe', 'evt_1'], {
      TXONCE_STATE_FILE: '/nonexistent/state.json',
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(
      'Missing --table: pass it (with --endpoint for DynamoDB Local or moto). Without it, the CLI takes the ' +
        'resources of a running local stack, and none is running here.',
    );
  });

  it('inspect reports a missing record plainly', () => {
    const result = runCommand(
      [
        ...TXONCE_CLI,
        '--endpoint',
        inject('dynamoEndpoint'),
        'inspect',
        'billing',
        'never-seen',
        '--table',
        'no-table-here',
      ],
      { TXONCE_STATE_FILE: '/nonexistent/state.json' },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Check --table');
  });
});
