#!/usr/bin/env node
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { DEAD_LETTER_ATTRIBUTES } from '../lib/index.js';
import { type ConnectionOptions, clients, localState } from './clients.js';
import { explain } from './errors.js';
import { inspectRecord } from './inspect.js';
import { peek, redrive } from './redrive.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command('txonce')
  .description('Operate a txonce pipeline: redrive the DLQ, list dead letters, inspect dedup records.')
  .option(
    '--endpoint <url>',
    'a local endpoint (moto, DynamoDB Local); also TXONCE_ENDPOINT. Default: AWS, or the running local stack',
  )
  .option('--region <region>', 'AWS region; default AWS_REGION');

const positive = (value: string) => {
  const number = Number(value);
  if (!(Number.isFinite(number) && number > 0)) throw new InvalidArgumentError('expected a positive number');
  return number;
};
const connection = () => program.opts<ConnectionOptions>();
const defaultDlq = () => localState()?.resources.deadLetterQueueUrl;

program
  .command('redrive')
  .description(
    'move DLQ messages back to their source queue (StartMessageMoveTask on AWS; receive, send, delete elsewhere)',
  )
  .argument('[dlq-url]', 'the DLQ; default: the local stack DLQ')
  .option('--to <queue-url>', 'destination; default: the queue whose redrive policy names the DLQ')
  .option('--dry-run', 'list what would move, change nothing')
  .option('--rate <n>', 'messages per second', positive)
  .option('--max <n>', 'move at most n messages', positive)
  .action(
    async (dlqUrl: string | undefined, options: { to?: string; dryRun?: boolean; rate?: number; max?: number }) => {
      const queueUrl = required(dlqUrl ?? defaultDlq(), 'dlq-url');
      await run({ queueUrl }, async () => {
        const bar = new SingleBar({
          format: 'redrive [{bar}] {value}/{total} messages',
          hideCursor: true,
          stream: process.stderr,
        });
        let started = false;
        const result = await redrive({
          sqs: clients(connection()).sqs,
          dlqUrl: queueUrl,
          to: options.to,
          dryRun: options.dryRun,
          rate: options.rate,
          max: options.max,
          onProgress: (moved, total) => {
            if (!started) bar.start(Math.max(total, moved), 0);
            started = true;
            bar.setTotal(Math.max(total, moved));
            bar.update(moved);
          },
        });
        if (started) bar.stop();
        if (result.method === 'dry-run') {
          console.log(
            `dry run: ${result.messageIds.length} message(s) would move to ${result.destination ?? '(pass --to)'}`,
          );
          for (const id of result.messageIds) console.log(`  ${id}`);
        } else {
          console.log(
            `moved ${result.moved} message(s) to ${result.destination ?? 'the source queue'} (${result.method})`,
          );
        }
      });
    },
  );

program
  .command('dlq')
  .description('dead-letter queue commands')
  .command('list')
  .description('show DLQ messages and why they failed, without consuming them')
  .argument('[dlq-url]', 'the DLQ; default: the local stack DLQ')
  .option('--max <n>', 'show at most n messages', positive, 50)
  .action(async (dlqUrl: string | undefined, options: { max: number }) => {
    const queueUrl = required(dlqUrl ?? defaultDlq(), 'dlq-url');
    await run({ queueUrl }, async () => {
      const messages = await peek(clients(connection()).sqs, queueUrl, options.max);
      if (messages.length === 0) return console.log('The DLQ is empty.');
      for (const message of messages) {
        const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
        const why = attribute(DEAD_LETTER_ATTRIBUTES.errorName)
          ? `${attribute(DEAD_LETTER_ATTRIBUTES.errorName)}: ${attribute(DEAD_LETTER_ATTRIBUTES.errorMessage)}`
          : `moved by SQS after ${message.Attributes?.ApproximateReceiveCount ?? '?'} receives (maxReceiveCount)`;
        console.log(`${message.MessageId}
  key       ${attribute(DEAD_LETTER_ATTRIBUTES.key) ?? '(messageId)'}
  why       ${why}
  failed at ${attribute(DEAD_LETTER_ATTRIBUTES.failedAt) ?? new Date(Number(message.Attributes?.SentTimestamp)).toISOString()}
  body      ${(message.Body ?? '').slice(0, 200)}`);
      }
      console.log(`\n${messages.length} message(s); none consumed.`);
    });
  });

program
  .command('inspect')
  .description('show a dedup record: first seen, result, fingerprint, expiry')
  .argument('<source>', "the key namespace (the store's source)")
  .argument('<key>', 'the idempotency key')
  .option('--table <name>', 'the dedup table; default: the local stack table')
  .action(async (source: string, key: string, options: { table?: string }) => {
    const table = required(options.table ?? localState()?.resources.dedupTable, '--table');
    await run({}, async () => {
      const record = await inspectRecord({ dynamo: clients(connection()).dynamo, table, source, key });
      if (!record.found) {
        console.log(`No record ${record.recordKey}: this key has not committed (or its record expired).`);
        process.exitCode = 3;
        return;
      }
      console.log(JSON.stringify(record, null, 2));
    });
  });

await program.parseAsync();

function required(value: string | undefined, name: string): string {
  if (!value) {
    console.error(`Missing ${name}: pass it, or start the local stack (npm start) to use its resources.`);
    process.exit(2);
  }
  return value;
}

async function run(context: { queueUrl?: string }, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    console.error(explain(error, { ...context, endpoint: connection().endpoint }));
    process.exitCode = 1;
  }
}
