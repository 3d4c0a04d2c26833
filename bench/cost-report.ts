import { AUTO_ON_FACTOR, breakEvenShare as precheckBreakEven } from '../lib/store/precheck-policy.js';
import type { ContentionResult } from './contention.js';
import { breakEvenShare, type CostResults, type VariantCost } from './cost.js';
import { PRICES } from './prices.js';

type Rows = (header: string[], body: (string | number)[][]) => string;

const dollars = (value: number) => `$${value.toFixed(3)}`;
const units = (write: number, read: number) => `${write} W${read ? ` + ${read} R` : ''}`;

/** The cost section of RESULTS.md: units per delivery, dollars per million, and where txonce costs more. */
export function costMarkdown(cost: CostResults, rows: Rows): string {
  const find = (name: string, items: 1 | 2) =>
    cost.variants.find((v) => v.name === name && v.items === items) as VariantCost;
  const lambdaPerMs = (PRICES.lambdaMemoryGb / 1000) * PRICES.lambdaGbSecond;
  const comparisons = ([2, 1] as const).map((items) => {
    const tx = find('txonce', items);
    const pre = find('txonce + precheck', items);
    const plain = find('peer, plain write', items);
    const transactional = find('peer, transactional write', items);
    const defaults = find('txonce (default)', items);
    const at25 = (v: VariantCost) => v.perMillion.find((row) => row.share === 0.25)?.total ?? Number.NaN;
    const extraDynamo = tx.perMillion[0].dynamo - plain.perMillion[0].dynamo;
    const needMs = extraDynamo / 1e6 / lambdaPerMs;
    const savedMs = plain.first.ms - tx.first.ms;
    const share = (a: VariantCost, b: VariantCost) => {
      const found = breakEvenShare(a, b);
      const cheaperAtZero = a.perMillion[0].total < b.perMillion[0].total;
      if (found === undefined) return `${cheaperAtZero ? 'cheaper' : 'dearer'} at every duplicate share`;
      const at = `${(found * 100).toFixed(0)}% duplicates`;
      return cheaperAtZero ? `cheaper below ${at}, dearer above` : `dearer below ${at}, cheaper above`;
    };
    return `- **${items === 2 ? 'Two-item' : 'One-item'} write, txonce against the peer's plain write**: a first delivery costs
  ${units(tx.first.writeUnits, tx.first.readUnits)} against ${units(plain.first.writeUnits, plain.first.readUnits)}, a duplicate
  ${units(tx.duplicate.writeUnits, tx.duplicate.readUnits)} against ${units(plain.duplicate.writeUnits, plain.duplicate.readUnits)}
  (W, R: write and read request units). At 0% duplicates txonce pays ${dollars(extraDynamo)} more DynamoDB per million events; to
  earn that back in Lambda time at 512 MB it would have to save ${needMs.toFixed(0)} ms per event, and it saves
  ${savedMs.toFixed(1)} ms here. txonce against the peer's plain write: ${share(tx, plain)}; txonce with \`precheck\`
  against it: ${share(pre, plain)}; txonce against the peer's transactional write: ${share(tx, transactional)}; txonce
  with \`precheck\` against that: ${share(pre, transactional)}. **With its defaults** (\`precheck: 'auto'\`, eventually
  consistent reads), at 25% duplicates txonce costs ${dollars(at25(defaults))} per million events against
  ${dollars(at25(transactional))} for the peer's transactional write and ${dollars(at25(plain))} for its plain write; the
  default reads nothing while duplicates stay under about ${(autoSwitch(items) * 100).toFixed(1)}% (it then costs what
  \`txonce\` costs) and turns the read on above it (it then costs what \`txonce + precheck\` costs).`;
  });

  return `Request units are computed per request from the items' actual sizes (read consistently
before and after each request), by DynamoDB's published rules:

- a standard write costs 1 write unit per KB, rounded up, of the larger of the item before and after;
  a transactional write costs 2 per item (one to prepare, one to commit). Developer guide,
  [Capacity management for transactions](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling).
- a **cancelled transaction** (a duplicate's failed condition on the dedup record) is billed as if it
  had run: 2 units per item in it. Developer guide,
  [DynamoDB read and write operations](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html)
  ("consumed even when the transaction is canceled", for example by a failed condition check; that
  sentence is quoted from public copies of the page, which could not be opened from the machine that ran this).
- a **failed conditional write** (the peer's duplicate: its \`PutItem\` of the record) still consumes write units:
  1 for a new item, else by the item's size. Developer guide,
  [Capacity units consumed by conditional writes](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalWrites.ReturnConsumedCapacity).
- a strongly consistent read costs 1 read unit per 4 KB (an item not found still costs 1), an eventually
  consistent one half that; a BatchGetItem bills each key as such a read.

Cross-check: DynamoDB Local answered \`ConsumedCapacity\` on ${cost.crossCheck.reported} of the metered requests and the
published rules give the same number on ${cost.crossCheck.agree} of them. It reports nothing for the ${cost.crossCheck.unreported}
that failed (cancelled transactions, failed conditional puts): those are priced by the rules alone.

### Request units and handler time per delivery

${rows(
  ['contender', 'business write', 'first delivery', 'duplicate', 'first (ms)', 'duplicate (ms)'],
  cost.variants.map((v) => [
    v.name,
    v.items === 2 ? 'two items' : 'one item',
    units(v.first.writeUnits, v.first.readUnits),
    units(v.duplicate.writeUnits, v.duplicate.readUnits),
    v.first.ms.toFixed(2),
    v.duplicate.ms.toFixed(2),
  ]),
)}

\`txonce (default)\` splits its units between first deliveries and duplicates as metered in its 25%-duplicates
stream (its precheck then on); its handler time is that stream's mean, shown in both columns.

### Dollars per million events (DynamoDB on-demand + Lambda GB-seconds)

Prices: ${PRICES.region}, ${PRICES.asOf}: DynamoDB on-demand $${(PRICES.dynamoWriteRequestUnit * 1e6).toFixed(3)} per million
write request units and $${(PRICES.dynamoReadRequestUnit * 1e6).toFixed(3)} per million read request units (Standard table
class); Lambda (x86) $${PRICES.lambdaGbSecond} per GB-second at the consumer's deployed ${PRICES.lambdaMemoryGb * 1024} MB, from
the mean handler time above. Lambda's $${(PRICES.lambdaRequest * 1e6).toFixed(2)} per million invocations is the same for every
contender (one per SQS batch) and left out. Handler times come from DynamoDB Local on a shared machine, so the
Lambda column is rough (what the saved round trips are worth on the service differs); the request
units are exact.

${rows(
  ['contender', 'business write', ...cost.variants[0].perMillion.map((row) => `${row.share * 100}% duplicates`)],
  cost.variants.map((v) => [
    v.name,
    v.items === 2 ? 'two items' : 'one item',
    ...v.perMillion.map((row) => `${dollars(row.total)} (${dollars(row.dynamo)} + ${dollars(row.lambda)})`),
  ]),
)}

### Where txonce costs more, and what reduces it

txonce costs more request units than the peer's documented setup. A transaction bills every item
twice, so the dedup record and the business items cost 2 units each where the peer's plain writes cost
1, and a duplicate is a cancelled transaction billed at full price where the peer's is one failed
conditional put. Against the peer with a transactional business write (what it takes to make the
peer's business items atomic with each other), txonce costs the same units on a first delivery and
less Lambda time, and more on a duplicate.

${comparisons.join('\n')}

What reduces it:

- **The precheck**: one read of the record before the work (eventually consistent by default, half a
  read unit; batch handlers read a whole batch in one BatchGetItem). It adds that read to a first
  delivery and turns a duplicate into that single read, with no transaction. \`precheck: 'auto'\`, the
  default, turns it on where it pays: once the duplicates among a container's last 100 deliveries pass
  1.5 times the break-even share (read units over the cancelled transaction's write units, a read unit
  priced at a fifth of a write unit), and off below 0.75 times it. \`txonce (default)\` is metered on
  streams that mix first deliveries and duplicates at each share, after a warm-up of the same mix, on a
  fresh store: its cost depends on the duplicates it has seen. \`precheck: true\` reads always,
  \`false\` never.
- **A smaller record** does not help while it stays under 1 KB: the record here (key, \`firstSeenAt\`,
  \`runId\`, no result) is about 100 bytes, and every item costs at least one unit. Keep stored results small so the record does not cross 1 KB (each KB adds
  2 units per first delivery).
- **A single-item path** (the dedup key as a condition on the one business item, no transaction) would cost
  1 unit instead of 4 for a one-item write; txonce does not offer one today, because it gives up the
  stored result and the separate record that every other path relies on.
`;
}

/**
 * The duplicate share above which 'auto' switches its read on, for the bench's record (under
 * 4 KB, read eventually consistent) and `items` business items, each item under 1 KB: 2 write
 * units per item of the transaction, the record included.
 */
function autoSwitch(items: 1 | 2): number {
  return AUTO_ON_FACTOR * precheckBreakEven(1024, false, 2 * (items + 1));
}

/** The hot-key section of RESULTS.md. */
export function contentionMarkdown(contention: ContentionResult[], rows: Rows): string {
  return `Every event of a cell is for one customer (one hot item, its total \`ADD\`ed by every event), with
10 or 50 events in flight. DynamoDB Local runs transactions one at a time and never answers
\`TransactionConflict\`, so the service's answer under contention is injected through an SDK middleware:
\`TransactionCanceledException\` with \`TransactionConflict\` on the hot item, unsent, for exactly 1% or 10%
of \`TransactWriteItems\` attempts (the same attempts for both). txonce retries a conflict itself with
jittered backoff and a fresh token; the peer's handler fails, the peer deletes its \`IN_PROGRESS\` record,
and the delivery comes again (as SQS would, after the visibility timeout, which is not counted here).
Retries per event count \`TransactWriteItems\` attempts beyond one per event; doubled and lost effects
compare the customer's total with the invoices written.

${rows(
  [
    'concurrency',
    'conflicts injected',
    'contender',
    'events/s',
    'p99 (ms)',
    'conflicts',
    'retries per event',
    'redeliveries per event',
    'doubled',
    'lost',
  ],
  contention.map((c) => [
    c.concurrency,
    `${c.conflictRate * 100}%`,
    c.contender,
    c.throughput.toFixed(0),
    c.p99.toFixed(1),
    c.injected,
    c.retriesPerEvent.toFixed(3),
    c.redeliveriesPerEvent.toFixed(3),
    c.doubled,
    c.lost,
  ]),
)}
`;
}
