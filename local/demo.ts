import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { EVENT_ATTRIBUTES } from '../lib/contracts/sqs-attributes.js';
import type { WebhookScheme } from '../lib/index.js';
import { recordKey } from '../lib/index.js';
import { peek } from '../ops/sqs-peek.js';
import { readStateFile } from '../ops/state-file.js';
import { signWebhook } from './sign.js';
import type { LocalResources } from './stack.js';
import { type LocalStack, startLocalStack } from './stack.js';
import { postWithRetries } from './webhook-sender.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

interface Target {
  webhookUrl: string;
  secret: string;
  scheme: WebhookScheme;
  source: string;
  dynamoEndpoint: string;
  sqsEndpoint: string;
  resources: LocalResources;
}

interface Invoice {
  id: string;
  invoiceId: string;
  customerId: string;
  amount: number;
}

/** What the consumer says about the poison's negative amount, which its dead-letter reason must carry. */
const POISON_REASON = 'data.amount must be a positive whole number';
/** The fewest events that hold two bad signatures, one poison message and an invoice with its duplicate. */
const MIN_EVENTS = 5;
const wholeNumber = (least: number, what: string) => (value: string) => {
  const number = Number(value);
  if (!(/^\d+$/.test(value.trim()) && number >= least))
    throw new InvalidArgumentError(`expected a whole number of at least ${least}${what}.`);
  return number;
};

let options: { events: number; customers: number; timeout?: number };
try {
  options = new Command('demo')
    .description('Send a realistic stream of signed invoice.paid webhooks and prove every effect applied exactly once.')
    .option(
      '--events <n>',
      'webhooks to send',
      wholeNumber(MIN_EVENTS, ' (two bad signatures, one poison message, an invoice and its duplicate)'),
      300,
    )
    .option('--customers <n>', 'customers the invoices belong to', wholeNumber(1, ''), 5)
    .option(
      '--timeout <seconds>',
      'how long to wait for the work to finish; default: sized to --events',
      wholeNumber(1, ''),
    )
    .exitOverride()
    .parse()
    .opts<{ events: number; customers: number; timeout?: number }>();
} catch (error) {
  // commander printed its one-line message (or the help)
  process.exit(error instanceof CommanderError && error.exitCode === 0 ? 0 : 2);
}
/** About 10 events a second end to end on a small machine, plus a minute of slack. */
const timeoutSeconds = options.timeout ?? 60 + Math.ceil(options.events / 10);

const running = runningStack();
let own: LocalStack | undefined;
if (!running) {
  console.log('No running local stack (npm start): starting one for this demo...');
  try {
    own = await startLocalStack({ port: 0 });
  } catch (error) {
    console.error(`npm run demo: could not start a local stack: ${(error as Error).message}`);
    process.exit(1);
  }
}
const target: Target = running ?? (own as LocalStack);
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const dynamo = DynamoDBDocumentClient.from(
  new DynamoDBClient({ endpoint: target.dynamoEndpoint, region: 'us-east-1', credentials }),
);
const sqs = new SQSClient({ endpoint: target.sqsEndpoint, region: 'us-east-1', credentials });

/** Extra attempts the sender made after a 5xx or a failed connection. */
let retries = 0;

try {
  process.exitCode = await demo();
} catch (error) {
  console.error(`\nnpm run demo: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await own?.stop();
}

async function demo(): Promise<number> {
  const run = Date.now().toString(36);
  const badSignatures = Math.max(2, Math.round(options.events * 0.02));
  const duplicates = Math.round(options.events * 0.25);
  const unique = Math.max(1, options.events - duplicates - badSignatures - 1);
  const invoices: Invoice[] = Array.from({ length: unique }, (_, index) => ({
    id: `msg_${run}_${index}`,
    invoiceId: `inv_${run}_${index}`,
    customerId: `cus_${run}_${index % options.customers}`,
    amount: 100 + ((index * 7919) % 9900),
  }));
  const poison = { id: `msg_${run}_poison`, invoiceId: `inv_${run}_poison`, customerId: `cus_${run}_0`, amount: -1 };

  // first deliveries, exact duplicates in the same burst, bad signatures and one poison message
  const burst = [
    ...invoices.map((invoice) => ({ invoice, forge: false })),
    ...pick(invoices, Math.ceil(duplicates / 2)).map((invoice) => ({ invoice, forge: false })),
    ...pick(invoices, badSignatures).map((invoice) => ({ invoice, forge: true })),
    { invoice: poison, forge: false },
  ].sort(() => Math.random() - 0.5);
  const statuses: number[] = [];
  await inParallel(burst, 16, async ({ invoice, forge }) => statuses.push(await send(invoice, forge)));
  await drained();

  // forced redeliveries: the sender retries events we already applied
  await inParallel(pick(invoices, Math.floor(duplicates / 2)), 16, async (invoice) =>
    statuses.push(await send(invoice, false)),
  );
  await drained();

  const receipts = await waitForReceipts(invoices);
  const outbox = await outboxOf(run);
  const committed = await countDedupRecords(run);
  const deadLettered = await deadLettersOf(run, poison.id);
  const accepted = statuses.filter((status) => status === 202).length;
  const rejected = statuses.filter((status) => status === 401).length;
  const problems = await checkTotals(invoices);

  printTable([
    ['sent', statuses.length],
    ['accepted (202)', accepted],
    ['rejected (401, bad signature)', rejected],
    ['retried by the sender (5xx, no connection)', retries],
    ['duplicates absorbed', accepted - committed - 1],
    ['committed', committed],
    ['dead-lettered (poison)', deadLettered.ids.length],
    ['customers checked', options.customers],
    ['receipts emitted (outbox)', outbox.messages],
    ['receipt deliveries, retries included', outbox.attempts],
    ['receipts applied by the receiver', receipts.applied],
  ]);
  if (outbox.messages !== invoices.length)
    problems.push(`expected ${invoices.length} receipts in the outbox, found ${outbox.messages}`);
  problems.push(...receipts.problems);
  const unexpected = statuses.filter((status) => status !== 202 && status !== 401);
  if (unexpected.length > 0) problems.push(`unexpected HTTP statuses: ${[...new Set(unexpected)].join(', ')}`);
  if (rejected !== badSignatures) problems.push(`expected ${badSignatures} rejections, saw ${rejected}`);
  if (committed !== invoices.length) problems.push(`expected ${invoices.length} committed events, found ${committed}`);
  problems.push(...deadLettered.problems);
  if (problems.length > 0) {
    console.log(`\nFAILED: ${problems.length} problem(s)\n- ${problems.join('\n- ')}`);
    return 1;
  }
  console.log(
    `\nOK: every customer's total equals the sum of its unique invoices, and every invoice got exactly one receipt; no effect missing or doubled.`,
  );
  return 0;
}

/** Sends one webhook as its provider would: retried with backoff while the stack answers 5xx. The final status. */
async function send(invoice: Invoice, forge: boolean): Promise<number> {
  const body = JSON.stringify({
    id: invoice.id, // Stripe keys on the body's id
    type: 'invoice.paid',
    timestamp: new Date().toISOString(),
    data: { invoiceId: invoice.invoiceId, customerId: invoice.customerId, amount: invoice.amount, currency: 'EUR' },
  });
  const secret = forge ? forgedSecret(target.scheme) : target.secret;
  const { status, attempts } = await postWithRetries(target.webhookUrl, () => ({
    body,
    headers: { 'content-type': 'application/json', ...signWebhook(target.scheme, secret, invoice.id, body) },
  }));
  retries += attempts - 1;
  return status;
}

/**
 * An emulator being restarted (its queues and tables created again) fails reads for a few
 * seconds; the demo waits for it as for the consumer, up to its timeout.
 */
async function patiently<T>(read: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const say = every(2000);
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      say(`  waiting for the local stack: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Waits until the queue holds nothing, visible or in flight, saying how much is left every 2 s. */
async function drained(): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const say = every(2000);
  for (let left = await patiently(queueDepth); left > 0; left = await patiently(queueDepth)) {
    if (Date.now() > deadline)
      throw new Error(`the queue did not drain within ${timeoutSeconds} s (${left} left); pass a longer --timeout`);
    say(`  waiting for the consumer: ${left} message(s) left in the queue`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A printer that lets a line through at most once per `ms`, and not the first time. */
function every(ms: number): (line: string) => void {
  let next = Date.now() + ms;
  return (line) => {
    if (Date.now() < next) return;
    next = Date.now() + ms;
    console.log(line);
  };
}

/**
 * This run's messages in the DLQ (earlier runs' poison stays there; it is not ours to count):
 * only the poison may be there, with the consumer's reason. The journal queues an event it
 * has no dedup record of again after each emulator restart, so the poison can be
 * dead-lettered more than once; the copies are one message.
 */
async function deadLettersOf(run: string, poisonId: string): Promise<{ ids: string[]; problems: string[] }> {
  const messages = await patiently(() => peek(sqs, target.resources.deadLetterQueueUrl, Number.POSITIVE_INFINITY));
  const ours = messages.filter((message) =>
    message.MessageAttributes?.[EVENT_ATTRIBUTES.key]?.StringValue?.startsWith(`msg_${run}_`),
  );
  const ids = [
    ...new Set(ours.map((message) => message.MessageAttributes?.[EVENT_ATTRIBUTES.key]?.StringValue as string)),
  ];
  const problems: string[] = [];
  if (!ids.includes(poisonId)) problems.push('expected the poison message in the DLQ; it is not there');
  const others = ids.filter((id) => id !== poisonId);
  if (others.length > 0) problems.push(`valid events in the DLQ: ${others.join(', ')}`);
  const withoutReason = ours.filter((message) => !JSON.stringify(message.MessageAttributes).includes(POISON_REASON));
  if (withoutReason.length > 0)
    problems.push(`${withoutReason.length} dead-lettered cop(ies) without the consumer's reason (${POISON_REASON})`);
  return { ids, problems };
}

async function queueDepth(): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: target.resources.queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
}

/** Each unique invoice's receipt must reach the receiver and be applied exactly once. */
async function waitForReceipts(invoices: Invoice[]): Promise<{ applied: number; problems: string[] }> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const say = every(2000);
  for (;;) {
    const found = new Map<string, number>();
    for (let start = 0; start < invoices.length; start += 100) {
      const keys = invoices.slice(start, start + 100).map((invoice) => ({ pk: invoice.invoiceId }));
      const { Responses } = await patiently(() =>
        dynamo.send(
          new BatchGetCommand({
            RequestItems: { [target.resources.receiptsTable]: { Keys: keys, ConsistentRead: true } },
          }),
        ),
      );
      for (const item of Responses?.[target.resources.receiptsTable] ?? [])
        found.set(item.pk as string, item.receipts as number);
    }
    const doubled = [...found]
      .filter(([, count]) => count !== 1)
      .map(([invoice, count]) => `${invoice}: ${count} receipts`);
    if (doubled.length > 0) return { applied: found.size, problems: doubled };
    if (found.size === invoices.length) return { applied: found.size, problems: [] };
    if (Date.now() > deadline)
      return {
        applied: found.size,
        problems: [`${invoices.length - found.size} receipts did not arrive within ${timeoutSeconds} s`],
      };
    say(`  waiting for receipts: ${found.size} of ${invoices.length} applied by the receiver`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The run's outbox items: how many messages, and how many delivery attempts they took. */
async function outboxOf(run: string): Promise<{ messages: number; attempts: number }> {
  const items = (await scanAll(target.resources.outboxTable)).filter((item) =>
    String(item.sourceKey).startsWith(runPrefix(run)),
  );
  return { messages: items.length, attempts: items.reduce((sum, item) => sum + Number(item.attempts ?? 0), 0) };
}

async function countDedupRecords(run: string): Promise<number> {
  return (await scanAll(target.resources.dedupTable)).filter((item) => String(item.pk).startsWith(runPrefix(run)))
    .length;
}

/** The record-key prefix of this run's events. */
function runPrefix(run: string): string {
  return recordKey(target.source, `msg_${run}_`).slice(0, -1);
}

async function scanAll(tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await patiently(() =>
      dynamo.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true })),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Every customer's paidTotal must be the sum of its unique invoices: no effect missing, none doubled. */
async function checkTotals(invoices: Invoice[]): Promise<string[]> {
  const expected = new Map<string, number>();
  for (const invoice of invoices)
    expected.set(invoice.customerId, (expected.get(invoice.customerId) ?? 0) + invoice.amount);
  const { Responses } = await patiently(() =>
    dynamo.send(
      new BatchGetCommand({
        RequestItems: {
          [target.resources.customersTable]: { Keys: [...expected.keys()].map((pk) => ({ pk })), ConsistentRead: true },
        },
      }),
    ),
  );
  const actual = new Map(
    (Responses?.[target.resources.customersTable] ?? []).map((item) => [item.pk as string, item.paidTotal as number]),
  );
  console.log('\ncustomer                 expected     actual');
  const problems: string[] = [];
  for (const [customer, total] of expected) {
    const found = actual.get(customer) ?? 0;
    console.log(
      `${customer.padEnd(24)} ${String(total).padStart(8)}   ${String(found).padStart(8)}${found === total ? '' : '   <-- wrong'}`,
    );
    if (found !== total)
      problems.push(`${customer}: expected ${total}, found ${found} (${found > total ? 'doubled' : 'missing'} effect)`);
  }
  return problems;
}

function runningStack(): Target | undefined {
  const { state, problem } = readStateFile<Target & { pid?: number }>();
  if (problem) console.log(`Note: ${problem.replace(/; start txonce local again.*$/, '')}.`);
  if (!state) return undefined;
  console.log(`Using the running local stack at ${state.webhookUrl}`);
  return state;
}

function forgedSecret(scheme: WebhookScheme): string {
  return scheme === 'standard-webhooks'
    ? `whsec_${Buffer.from('not the real secret!').toString('base64')}`
    : 'not the real secret';
}

function pick<T>(items: T[], count: number): T[] {
  return Array.from({ length: count }, (_, index) => items[(index * 37) % items.length]);
}

async function inParallel<T>(items: T[], limit: number, each: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await each(items[next++]);
    }),
  );
}

function printTable(rows: [string, number][]): void {
  console.log('');
  for (const [label, value] of rows) console.log(`${label.padEnd(40)} ${String(value).padStart(6)}`);
}
