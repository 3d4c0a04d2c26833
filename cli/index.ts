#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DEAD_LETTER_ATTRIBUTES, readDeadLetterReason } from '../lib/index.js';
import { peek } from '../ops/sqs-peek.js';
import packageJson from '../package.json' with { type: 'json' };
import {
  type ConnectionOptions,
  clients,
  ENDPOINT_EXAMPLE,
  endpointProblem,
  localState as readLocalState,
} from './clients.js';
import { explain } from './errors.js';
import { EXIT, UsageError } from './exit-codes.js';
import { inspectRecord } from './inspect.js';
import { stopOnInterrupt } from './interrupt.js';
import { listOutbox, type OutboxEntry, republish } from './outbox.js';
import { progress } from './progress.js';
import { queueCounts, redrive } from './redrive.js';
import { addReplayCommand } from './replay-command.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command('txonce')
  .description(
    'Operate a txonce pipeline: redrive the DLQ, list dead letters, inspect dedup records, replay the archive; run your app locally and send it a test webhook.',
  )
  .version(packageJson.version, '-V, --version', 'print the version')
  .exitOverride((error) => {
    // a stand-alone subcommand (local, send) ended: its exit status is this process's
    if (error.code === 'commander.executeSubCommandAsync') process.exit(error.exitCode);
    throw error;
  })
  .addHelpText(
    'after',
    `
Exit status: ${EXIT.ok} done; ${EXIT.failed} the operation failed (AWS or the endpoint); ${EXIT.usage} a bad argument or setting;
${EXIT.notFound} the record or message does not exist; ${EXIT.interrupted} stopped by Ctrl-C after cleaning up.`,
  )
  .option(
    '--endpoint <url>',
    'a local endpoint (moto, DynamoDB Local); also TXONCE_ENDPOINT. Default: AWS, or the running local stack',
    (value: string) => {
      const problem = endpointProblem(value);
      if (problem) throw new InvalidArgumentError(`it ${problem}: pass an endpoint such as ${ENDPOINT_EXAMPLE}.`);
      return value;
    },
  )
  .option('--region <region>', 'AWS region; default AWS_REGION');

// `txonce local` and `txonce send` are programs of their own (local/start.ts and local/send.ts,
// bundled as dist/txonce-local.js and dist/txonce-send.js): the CLI starts them, never imports
// them, so the operations CLI stays apart from the local stack (and its emulator dependencies).
const fromSources = import.meta.url.endsWith('.ts');
program.executableDir(fromSources ? '../local' : '.');
program.command('local', "run your CDK app's template on this machine (txonce local --help)", {
  executableFile: fromSources ? 'start' : 'txonce-local',
});
program.command('send', 'sign and send a test webhook to the running local stack, and follow it (txonce send --help)', {
  executableFile: fromSources ? 'send' : 'txonce-send',
});

const positive = (value: string) => {
  const number = Number(value);
  if (!(Number.isFinite(number) && number > 0)) throw new InvalidArgumentError('expected a positive number.');
  return number;
};
const nonNegative = (value: string) => {
  const number = Number(value);
  if (!(Number.isFinite(number) && number >= 0)) throw new InvalidArgumentError('expected a number, 0 or more.');
  return number;
};
const count = (value: string) => {
  const number = Number(value);
  if (!(Number.isInteger(number) && number > 0)) throw new InvalidArgumentError('expected a whole number above 0.');
  return number;
};
const connection = () => program.opts<ConnectionOptions>();
/** The running stack's state; a stale or broken state file is one sentence and exit status 2. */
const localState = () => {
  try {
    return readLocalState();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(error.message);
    process.exit(EXIT.usage);
  }
};
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
  .option('--max <n>', 'move at most n messages', count)
  .option(
    '--watch <seconds>',
    'after copying, how long to wait for copies that fail again, to count them (default 20; 0: do not wait)',
    nonNegative,
  )
  .action(
    async (
      dlqUrl: string | undefined,
      options: { to?: string; dryRun?: boolean; rate?: number; max?: number; watch?: number },
    ) => {
      const queueUrl = required(dlqUrl ?? defaultDlq(), 'dlq-url');
      await run({ queueUrl }, async () => {
        const bar = progress('redrive', 'moved');
        const stop = stopOnInterrupt('message');
        const result = await redrive({
          sqs: clients(connection()).sqs,
          dlqUrl: queueUrl,
          to: options.to,
          dryRun: options.dryRun,
          rate: options.rate,
          max: options.max,
          watchSeconds: options.watch,
          onWatch: (seconds, copies) => {
            bar.stop();
            process.stderr.write(
              `waiting up to ${seconds} s for the ${copies} copies to be consumed, to count any that fail again (--watch)\n`,
            );
          },
          signal: stop.signal,
          onProgress: (moved, total) => bar.update(moved, total),
        }).finally(() => bar.stop());
        if (result.method === 'dry-run') {
          console.log(
            `dry run: ${result.messageIds.length} message(s) would move to ${result.destination ?? '(pass --to)'}`,
          );
          for (const id of result.messageIds) console.log(`  ${id}`);
          return;
        }
        console.log(
          `moved ${result.moved} message(s) to ${result.destination ?? 'the source queue'} (${result.method})`,
        );
        if (result.failedAgain > 0)
          console.log(
            `${result.failedAgain} of them failed again and are back in the DLQ, left there: see \`txonce dlq list\`.`,
          );
        if (result.unsettled > 0)
          console.log(
            `${result.unsettled} of them had not come back when the watch ended (the source queue was not empty): any that fail again will be back in the DLQ (\`txonce dlq list\`).`,
          );
        if (result.arrivedLater > 0)
          console.log(
            `${result.arrivedLater} message(s) reached the DLQ after the redrive started and were left there.`,
          );
        if (result.interrupted) {
          console.log('Interrupted: what was not moved is still in the DLQ, visible again.');
          process.exitCode = EXIT.interrupted;
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
      const sqs = clients(connection()).sqs;
      const messages = await peek(sqs, queueUrl, options.max);
      if (messages.length === 0) {
        const { inFlight } = await queueCounts(sqs, queueUrl);
        return console.log(
          inFlight === 0
            ? 'The DLQ is empty.'
            : `No visible messages, but ${inFlight} in flight: received by someone (a redrive, a consumer) and back when their visibility timeout ends.`,
        );
      }
      for (const message of messages) {
        const reason = readDeadLetterReason(message.MessageAttributes);
        const why = reason
          ? `${reason.errorName}: ${reason.errorMessage}`
          : `moved by SQS after ${message.Attributes?.ApproximateReceiveCount ?? '?'} receives (maxReceiveCount)`;
        console.log(`${message.MessageId}
  key       ${message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.key]?.StringValue ?? '(messageId)'}
  why       ${why}
  failed at ${reason?.failedAt || new Date(Number(message.Attributes?.SentTimestamp)).toISOString()}
  body      ${(message.Body ?? '').slice(0, 200)}`);
      }
      console.log(`\n${messages.length} message(s); none consumed.`);
    });
  });

const outbox = program
  .command('outbox')
  .description('outbox commands: what the publisher has not delivered, and re-publishing it');
const outboxTable = (table: string | undefined) =>
  required(table ?? localState()?.resources.outboxTable, '--table (the outbox table)');

outbox
  .command('list')
  .description('show outbox messages not delivered (pending or failed) with their delivery history')
  .option('--status <status>', 'only pending or only failed', (value) => {
    if (value !== 'pending' && value !== 'failed') throw new InvalidArgumentError('expected pending or failed.');
    return value;
  })
  .option('--table <name>', 'the outbox table; default: the local stack table')
  .option('--max <n>', 'show at most n messages', count, 50)
  .action(async (options: { status?: 'pending' | 'failed'; table?: string; max: number }) => {
    const table = outboxTable(options.table);
    await run({}, async () => {
      const items = await listOutbox({
        dynamo: clients(connection()).dynamo,
        table,
        status: options.status,
        max: options.max,
      });
      if (items.length === 0) return console.log(`No ${options.status ?? 'undelivered'} outbox messages.`);
      for (const item of items) console.log(describeOutboxEntry(item));
      console.log(
        `\n${items.length} message(s). Re-publish with: txonce outbox republish <message-id>... (or --all-failed)`,
      );
    });
  });

outbox
  .command('republish')
  .description('hand messages to the publisher again, under the same id (receivers dedup on it)')
  .argument('[message-id...]', 'ids from `txonce outbox list`')
  .option('--all-failed', 'every message marked failed')
  .option('--table <name>', 'the outbox table; default: the local stack table')
  .action(async (ids: string[], options: { allFailed?: boolean; table?: string }) => {
    const table = outboxTable(options.table);
    await run({}, async () => {
      const result = await republish({
        dynamo: clients(connection()).dynamo,
        table,
        ids,
        allFailed: options.allFailed,
      });
      for (const id of result.republished) console.log(`republished ${id}`);
      for (const [id, why] of Object.entries(result.skipped)) console.log(`skipped     ${id}: ${why}`);
      console.log(
        `${result.republished.length} message(s) handed to the publisher again; \`txonce outbox list\` shows how they fare.`,
      );
      if (Object.values(result.skipped).includes('no such outbox message')) process.exitCode = EXIT.notFound;
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
        process.exitCode = EXIT.notFound;
        return;
      }
      console.log(JSON.stringify(record, null, 2));
    });
  });

addReplayCommand(program, { connection, localState, required, run, positive, nonNegative });

try {
  await program.parseAsync();
} catch (error) {
  // commander has printed its one-line message (or the help, or the version)
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
}

function describeOutboxEntry(item: OutboxEntry): string {
  const { kind, ...where } = item.destination;
  const history = (item.history ?? [])
    .slice(-5)
    .map((entry) => `${entry.at}  ${entry.ok ? 'delivered' : `failed: ${entry.error ?? ''}`}`);
  return `${item.messageId}  ${item.status}
  type        ${item.type}
  destination ${kind} ${Object.values(where).join(' ')}
  emitted by  ${item.sourceKey} at ${item.createdAt}
  attempts    ${item.attempts ?? 0}${item.republishedAt ? ` (republished ${item.republishedAt})` : ''}
  history     ${history.length ? history.join('\n              ') : '(no attempt yet)'}`;
}

function required(value: string | undefined, name: string): string {
  if (!value) {
    console.error(
      `Missing ${name}: pass it (with --endpoint for DynamoDB Local or moto). Without it, the CLI takes the ` +
        'resources of a running local stack, and none is running here.',
    );
    process.exit(EXIT.usage);
  }
  return value;
}

async function run(context: { queueUrl?: string }, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exitCode = EXIT.usage;
      return;
    }
    console.error(explain(error, { ...context, endpoint: connection().endpoint }));
    process.exitCode = EXIT.failed;
  }
}
