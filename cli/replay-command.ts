import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { type Command, InvalidArgumentError } from 'commander';
import { parseSecretList } from '../lib/webhooks/secret-list.js';
import { type ConnectionOptions, clients, type LocalState } from './clients.js';
import { EXIT, UsageError } from './exit-codes.js';
import { stopOnInterrupt } from './interrupt.js';
import { progress } from './progress.js';
import { type ReplayReport, replayArchive } from './replay.js';

/** What the `replay` command borrows from the CLI's entry point. */
export interface CliContext {
  connection: () => ConnectionOptions;
  localState: () => LocalState | undefined;
  required: (value: string | undefined, name: string) => string;
  run: (context: { queueUrl?: string }, action: () => Promise<void>) => Promise<void>;
  positive: (value: string) => number;
  nonNegative: (value: string) => number;
}

interface ReplayFlags {
  source?: string;
  from: Date;
  to?: Date;
  bucket?: string;
  queue?: string;
  into?: string;
  namespace?: string;
  table?: string;
  secretId?: string;
  secret?: string[];
  trustArchive?: boolean;
  dryRun?: boolean;
  rate?: number;
  watch?: number;
}

/** `txonce replay`: archived webhooks of a source and time range, enqueued again under their keys. */
export function addReplayCommand(program: Command, cli: CliContext): void {
  program
    .command('replay')
    .description(
      'enqueue archived webhooks of a source and time range again, under their original keys: events already applied are absorbed by their dedup records',
    )
    .option(
      '--source <name>',
      'the source to replay (one of the pipeline’s, its /webhooks/<name>); default: the local stack’s only source',
    )
    .requiredOption(
      '--from <time>',
      'received at or after: ISO 8601 (2026-12-01T00:00Z) or a time ago (90m, 6h, 14d)',
      time,
    )
    .option('--to <time>', 'received before (same forms); default: now', time)
    .option('--bucket <name>', 'the archive bucket (stack output ArchiveBucketName); default: the local stack’s')
    .option('--queue <url>', 'the pipeline’s queue (stack output QueueUrl); default: the local stack’s')
    .option(
      '--into <url>',
      'a backfill: enqueue into this queue instead, for another consumer; needs --namespace (that consumer’s dedup source)',
    )
    .option('--namespace <source>', 'the dedup namespace the events are counted under; default: --source')
    .option('--table <name>', 'the dedup table, to count what was already applied; default: the local stack’s')
    .option(
      '--secret-id <arn>',
      'the source’s webhook secret in Secrets Manager (stack output WebhookSecretArn, or WebhookSecretArn-<source> with several sources), to verify again',
    )
    .option(
      '--secret <value>',
      'a webhook secret to verify with (repeat during a rotation); default: the local stack’s',
      collect,
    )
    .option('--trust-archive', 'do not verify again: enqueue on the ingest’s recorded verdict (see docs/archive.md)')
    .option('--dry-run', 'list, read and verify, and count what is already applied; enqueue nothing')
    .option('--rate <n>', 'events per second', cli.positive)
    .option(
      '--watch <seconds>',
      'after enqueueing, how long to wait for the queue to drain, to count what the consumer applied (default 60; 0: do not wait)',
      cli.nonNegative,
    )
    .action(async (flags: ReplayFlags) => {
      const local = flags.source && flags.bucket && (flags.queue || flags.into) ? undefined : cli.localState();
      const queueUrl = cli.required(flags.into ?? flags.queue ?? local?.resources.queueUrl, '--queue');
      const to = flags.to ?? new Date();
      await cli.run({ queueUrl }, async () => {
        const source = cli.required(flags.source ?? localSource(local), '--source');
        const bucket = cli.required(flags.bucket ?? local?.resources.archiveBucket, '--bucket (the archive bucket)');
        if (flags.into && !flags.namespace)
          throw new UsageError(
            '--into replays into another consumer: pass --namespace with that consumer’s dedup source. Under this pipeline’s namespace its events are already applied, so the new consumer would absorb every one as a duplicate.',
          );
        const known = local?.webhookSources?.map((one) => one.name) ?? [];
        if (!flags.bucket && known.length > 0 && !known.includes(source))
          throw new UsageError(
            `The local pipeline has no webhook source "${source}": pass --source with one of ${known.join(', ')}.`,
          );
        if (flags.from >= to)
          throw new UsageError(`--from (${flags.from.toISOString()}) must be before --to (${to.toISOString()}).`);
        const connection = clients(cli.connection());
        const secrets = flags.trustArchive ? undefined : await currentSecrets(flags, local, connection.secrets);
        const table = flags.table ?? (flags.into ? undefined : local?.resources.dedupTable);
        const bar = progress(flags.dryRun ? 'replay (dry run)' : 'replay', 'archived webhooks');
        const stop = stopOnInterrupt('event');
        const report = await replayArchive({
          s3: connection.s3,
          sqs: connection.sqs,
          dynamo: table ? connection.dynamo : undefined,
          dedupTable: table,
          bucket,
          source,
          from: flags.from,
          to,
          queueUrl,
          namespace: flags.namespace,
          secrets,
          trustArchive: flags.trustArchive,
          dryRun: flags.dryRun,
          rate: flags.rate,
          watchSeconds: flags.watch,
          signal: stop.signal,
          onProgress: (done, total) => bar.update(done, total),
          onWatch: (seconds) => {
            bar.stop();
            process.stderr.write(
              `waiting up to ${seconds} s for the queue to drain, to count what was applied (--watch)\n`,
            );
          },
        }).finally(() => {
          bar.stop();
          stop.release();
        });
        console.log(describeReport(report, { source, from: flags.from, to, queueUrl }));
        if (report.interrupted) process.exitCode = EXIT.interrupted;
        else if (report.failed.length > 0) process.exitCode = EXIT.failed;
      });
    });
}

/** The local stack's source when it has one only: with several, replay must be told which. */
function localSource(local: LocalState | undefined): string | undefined {
  const sources = local?.webhookSources ?? [];
  if (sources.length > 1)
    throw new UsageError(
      `The local pipeline has ${sources.length} webhook sources: pass --source with one of ${sources.map((one) => one.name).join(', ')} (each is replayed on its own, with its own scheme).`,
    );
  return local?.source;
}

/** The secrets to verify with: --secret, else --secret-id from Secrets Manager, else the local stack's. */
async function currentSecrets(
  flags: ReplayFlags,
  local: LocalState | undefined,
  secretsManager: ReturnType<typeof clients>['secrets'],
): Promise<string[]> {
  if (flags.secret?.length) return flags.secret;
  if (flags.secretId) {
    const { SecretString } = await secretsManager.send(new GetSecretValueCommand({ SecretId: flags.secretId }));
    if (!SecretString) throw new UsageError(`The secret ${flags.secretId} holds no text: it is not a webhook secret.`);
    return parseSecretList(SecretString);
  }
  if (local?.secret) return [local.secret];
  throw new UsageError(
    'Replay verifies each archived webhook again: pass --secret-id (the stack output WebhookSecretArn) or --secret, or --trust-archive to enqueue on the verdict the ingest recorded.',
  );
}

/** The final report, one line per count, in the words of docs/archive.md. */
export function describeReport(
  report: ReplayReport,
  range: { source: string; from: Date; to: Date; queueUrl: string },
): string {
  const lines = [
    `${report.dryRun ? 'dry run: ' : ''}found ${report.found} archived webhook(s) of ${range.source} from ${range.from.toISOString()} to ${range.to.toISOString()}: ${report.events} distinct event(s)`,
  ];
  if (!report.dryRun) lines.push(`enqueued          ${report.enqueued} to ${range.queueUrl}`);
  lines.push(
    report.alreadyApplied === undefined
      ? 'already applied   not counted (no dedup table: pass --table)'
      : `already applied   ${report.alreadyApplied}${report.dryRun ? ' (would be absorbed as duplicates)' : ' (absorbed as duplicates by their dedup records)'}`,
  );
  if (report.appliedByReplay !== undefined) lines.push(`applied by replay ${report.appliedByReplay}`);
  if (report.notApplied)
    lines.push(
      `not applied yet   ${report.notApplied} (dead-lettered, or still queued when the watch ended: see txonce dlq list)`,
    );
  lines.push(`failed            ${report.failed.length}`);
  for (const failure of report.failed.slice(0, 20)) lines.push(`  ${failure.key ?? failure.objectKey}: ${failure.why}`);
  if (report.failed.length > 20) lines.push(`  ... and ${report.failed.length - 20} more`);
  if (report.interrupted)
    lines.push('Interrupted: what was enqueued stays enqueued; run the same replay again to finish (it is safe).');
  return lines.join('\n');
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** ISO 8601, or a time ago: 90m, 6h, 14d. */
function time(value: string): Date {
  const ago = /^(\d+)([mhd])$/.exec(value.trim());
  if (ago) return new Date(Date.now() - Number(ago[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 'm']);
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value.trim()) || Number.isNaN(date.getTime()))
    throw new InvalidArgumentError('expected an ISO 8601 time (2026-12-01T00:00Z) or a time ago (90m, 6h, 14d).');
  return date;
}
