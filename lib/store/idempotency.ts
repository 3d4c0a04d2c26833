import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type OptionChecks, type OptionNames, optionChecks } from '../shared/options.js';
import { CommittedKeyCache } from './committed-key-cache.js';
import { fingerprintOf, recordKey } from './dedup-key.js';
import { type DedupRecord, RECORD } from './dedup-record.js';
import { type RecordReads, readRecord, readRecords } from './dedup-record-reads.js';
import { itemBytes, MAX_ITEM_BYTES } from './limits.js';
import { type CommitSettings, PendingRun } from './pending-run.js';
import { type PrecheckMode, PrecheckPolicy, type PrecheckRead } from './precheck-policy.js';
import type { RunOutcome } from './run-outcome.js';
import type { Tx } from './staged-writes.js';
import { storeNamespace } from './store-namespace.js';

/**
 * Options of `new Idempotency(options)`: the dedup table, the key namespace, expiry, conflict
 * retries, result storage, the outbox table, precheck and cache.
 *
 * @example
 * ```ts
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
 * import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
 * import { Idempotency, type IdempotencyOptions } from 'txonce';
 *
 * const options: IdempotencyOptions = {
 *   client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
 *   tableName: 'dedup',
 *   source: 'orders',
 *   ttlSeconds: 30 * 24 * 3600, // records expire after 30 days; leave out for durable records
 *   precheck: true, // read before every delivery (default 'auto': only while duplicates are common)
 * };
 * export const store = new Idempotency(options);
 * ```
 */
export interface IdempotencyOptions {
  /** A DynamoDBDocumentClient (@aws-sdk/lib-dynamodb). Its own retry settings apply to each call. */
  client: DynamoDBDocumentClient;
  /** The dedup table: a string partition key named `pk`, no sort key. */
  tableName: string;
  /**
   * Namespace of the keys: records are keyed "<source>#<key>". No "#". Default: the
   * IDEMPOTENCY_SOURCE environment variable, which WebhookPipeline sets on its consumer (its
   * `source` prop, default the scheme), else "default". Given while IDEMPOTENCY_SOURCE names
   * another, it is refused: records must be where the pipeline and `txonce inspect` look. In a
   * pipeline with several sources (IDEMPOTENCY_SOURCES) it is required and must be one of them.
   */
  source?: string;
  /** Undefined (the default): records never expire. A number: records expire after that many seconds. */
  ttlSeconds?: number;
  /** The table's TTL attribute (epoch seconds), written only with `ttlSeconds`. Default "expiresAt". */
  ttlAttribute?: string;
  /** Attempts of one commit while it meets TransactionConflict, with jittered backoff. Default 6. */
  maxAttempts?: number;
  /** Base of the exponential backoff between conflict retries, in ms (capped at 1 s). Default 25. */
  retryBaseDelayMs?: number;
  /** Largest result stored for replay, in bytes of JSON. Default: whatever fits the 400 KB item. */
  maxResultBytes?: number;
  /**
   * A result larger than that: "omit" (default) commits without it and duplicates get
   * `resultOmitted: true`; "error" refuses to commit with a TransactionLimitError.
   */
  resultTooLarge?: 'omit' | 'error';
  /** The outbox table (string partition key `pk`) that `tx.emit()` stages messages into. */
  outboxTable?: string;
  /**
   * Read the dedup record before running the work: a known duplicate returns at once, without
   * the handler and without a transaction. A read costs a fifth of a write unit per delivery (an
   * eventual one, half that); a duplicate without it costs a cancelled transaction (2 write units
   * per item). `true`: always. `false`: never. `'auto'` (the default): only while the duplicates
   * this container has seen among its last 100 deliveries are more than 1.5 times the share at
   * which the read pays for itself (about 2.5% for a record and two small business items), and
   * off again below 0.75 times it. Batch handlers read a whole batch's records in one BatchGetItem.
   * The transaction guards every commit either way: this changes cost, never correctness.
   */
  precheck?: PrecheckMode;
  /**
   * How a precheck reads: `'eventual'` (the default: half the read units) or `'strong'`. An
   * eventually consistent read may miss a record committed within the last second; that delivery
   * then meets the record in its transaction, as without a precheck.
   */
  precheckRead?: PrecheckRead;
  /**
   * Remember committed keys in this container (at most `maxEntries`, default 1000): a repeat the
   * container has seen returns without the handler or DynamoDB. An optimisation only. Default off.
   */
  cache?: boolean | { maxEntries?: number };
}

/**
 * What `store.run` needs to know about one delivery: its idempotency key and, optionally, the
 * payload a repeat must match.
 *
 * @example
 * ```ts
 * import type { RunRequest } from 'txonce';
 * import { store } from './store.js';
 *
 * export async function record(eventId: string, body: { invoice: string; amount: number }) {
 *   const request: RunRequest = { key: eventId, fingerprint: body }; // same key, other body: IdempotencyKeyReuseError
 *   return store.run(request, () => ({ invoice: body.invoice }));
 * }
 * ```
 */
export interface RunRequest {
  /** The event's idempotency key, ideally the producer's event id: a non-empty string, or a finite number (its decimal text). */
  key: unknown;
  /** The payload to compare on a repeat: same key with another fingerprint is an error. */
  fingerprint?: unknown;
}

/**
 * The dedup store. `run` executes the work, then commits the dedup record together with the
 * writes the work staged in one TransactWriteItems: both happen, or neither does.
 *
 * @example
 * ```ts
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
 * import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
 * import { Idempotency } from 'txonce';
 *
 * const store = new Idempotency({
 *   client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
 *   tableName: 'dedup',
 *   source: 'billing',
 * });
 *
 * export async function applyPayment(event: { id: string; customer: string; amount: number }) {
 *   const outcome = await store.run({ key: event.id, fingerprint: event }, async (tx) => {
 *     tx.update({
 *       TableName: 'customers',
 *       Key: { pk: event.customer },
 *       UpdateExpression: 'ADD paidTotal :a',
 *       ExpressionAttributeValues: { ':a': event.amount },
 *     });
 *     return { customer: event.customer };
 *   });
 *   return outcome.status; // 'committed' the first time, 'duplicate' after
 * }
 * ```
 */
export class Idempotency {
  readonly tableName: string;
  readonly source: string;
  readonly #settings: CommitSettings;
  readonly #precheck: PrecheckPolicy;
  readonly #reads: RecordReads;
  readonly #cache: CommittedKeyCache | undefined;

  constructor(options: IdempotencyOptions) {
    const { source, precheck, precheckRead, cacheEntries, ...settings } = resolveOptions(options);
    this.#settings = settings;
    this.tableName = settings.tableName;
    this.source = source;
    this.#precheck = new PrecheckPolicy(precheck, precheckRead);
    this.#reads = {
      client: settings.client,
      tableName: settings.tableName,
      ttlAttribute: settings.ttlAttribute,
      consistentRead: this.#precheck.consistentRead,
    };
    this.#cache = cacheEntries ? new CommittedKeyCache(cacheEntries, settings.ttlAttribute) : undefined;
  }

  /** Whether the next delivery reads its record first (with `precheck: 'auto'`, this follows the duplicates seen). */
  get prechecking(): boolean {
    return this.#precheck.active;
  }

  /** The dedup record's partition key for `key` (validates the key). */
  recordKey(key: unknown): string {
    return recordKey(this.source, key);
  }

  /**
   * Runs `work` and commits its staged writes with the dedup record. If the work throws,
   * nothing is written and the error propagates: the event can be delivered again.
   * `prechecked`: what `precheckBatch` read for the batch this delivery belongs to.
   */
  async run<R>(
    request: RunRequest,
    work: (tx: Tx) => Promise<R> | R,
    prechecked?: PrecheckedBatch,
  ): Promise<RunOutcome<R>> {
    const key = this.recordKey(request.key);
    const fingerprint = request.fingerprint === undefined ? undefined : fingerprintOf(request.fingerprint);
    const pending = new PendingRun(this.#settings, key, fingerprint);
    const known = await this.#knownOutcome<R>(pending, prechecked);
    if (known) return known;
    const result = (await work(pending.tx)) as R;
    const outcome = await pending.commit<R>(result);
    this.#precheck.observe(outcome.status === 'duplicate');
    // only 'auto' weighs commits; the others need no sizing on this path
    if (this.#precheck.mode === 'auto' && pending.record && pending.committedWriteUnits) {
      this.#precheck.observeCommit(pending.committedWriteUnits, itemBytes(pending.record));
    }
    if (this.#cache && pending.record) this.#cache.set(pending.recordKey, pending.record);
    return outcome;
  }

  /**
   * Reads the dedup records of a batch's keys up front, in BatchGetItem calls of 100 keys, when
   * the store prechecks (`precheck: true`, or `'auto'` while duplicates are common); pass the
   * answer to `run` for each delivery of the batch, and the known duplicates return without a
   * read or a transaction of their own. Resolves undefined when the store does not precheck now.
   * Keys that are not valid are left out (their `run` says why). If the read fails, the batch
   * goes on without it: every commit is still guarded by its transaction.
   *
   * @example
   * ```ts
   * import { store } from './store.js';
   *
   * export async function applyAll(events: { id: string; amount: number }[]) {
   *   const prechecked = await store.precheckBatch(events.map((event) => event.id));
   *   for (const event of events) {
   *     await store.run({ key: event.id }, () => ({ amount: event.amount }), prechecked);
   *   }
   * }
   * ```
   */
  async precheckBatch(keys: unknown[]): Promise<PrecheckedBatch | undefined> {
    if (!this.#precheck.active) return undefined;
    const recordKeys = keys.flatMap((key) => {
      try {
        return [this.recordKey(key)];
      } catch {
        return [];
      }
    });
    if (recordKeys.length === 0) return undefined;
    try {
      return new PrecheckedBatch(await readRecords(this.#reads, recordKeys));
    } catch (error) {
      console.warn(`txonce: the batch precheck on ${this.tableName} failed; the batch goes on without it`, error);
      return undefined;
    }
  }

  /**
   * With `cache` or `precheck`: the outcome of a delivery already known to be a duplicate,
   * before any work runs. Undefined when it must run.
   */
  async #knownOutcome<R>(
    pending: PendingRun,
    prechecked: PrecheckedBatch | undefined,
  ): Promise<RunOutcome<R> | undefined> {
    const cached = this.#cache?.get(pending.recordKey);
    if (cached) return pending.duplicateOf<R>(cached);
    let stored: DedupRecord | null | undefined = prechecked?.records.get(pending.recordKey);
    if (stored === undefined) {
      if (!this.#precheck.active) return undefined;
      stored = await readRecord(this.#reads, pending.recordKey);
    }
    if (!stored) return undefined;
    const outcome = pending.duplicateOf<R>(stored);
    this.#precheck.observe(true);
    this.#cache?.set(pending.recordKey, stored);
    return outcome;
  }
}

/**
 * What `store.precheckBatch` read: each key's dedup record, or null where there was none.
 * Pass it to `store.run` for the batch's deliveries.
 *
 * @example
 * ```ts
 * import type { PrecheckedBatch } from 'txonce';
 * import { store } from './store.js';
 *
 * export async function knownDuplicates(ids: string[]): Promise<number> {
 *   const prechecked: PrecheckedBatch | undefined = await store.precheckBatch(ids);
 *   return [...(prechecked?.records.values() ?? [])].filter((record) => record !== null).length;
 * }
 * ```
 */
export class PrecheckedBatch {
  /** @internal */
  constructor(readonly records: ReadonlyMap<string, Record<string, unknown> | null>) {}
}

type ResolvedOptions = CommitSettings & {
  source: string;
  precheck: PrecheckMode;
  precheckRead: PrecheckRead;
  cacheEntries: number | undefined;
};

function resolveOptions(options: IdempotencyOptions): ResolvedOptions {
  const check: OptionChecks = optionChecks('Idempotency');
  if (!options || typeof options !== 'object') throw new TypeError('new Idempotency(options): options are required.');
  check.knownNames(options, IDEMPOTENCY_OPTIONS);
  if (typeof options.cache === 'object') check.knownNames(options.cache, CACHE_OPTIONS, 'cache');
  const { client, tableName, ttlSeconds, ttlAttribute = 'expiresAt' } = options;
  const source = storeNamespace(options.source, check);
  if (!client || typeof (client as { send?: unknown }).send !== 'function') {
    check.fail('`client` must be a DynamoDBDocumentClient (DynamoDBDocumentClient.from(new DynamoDBClient())).');
  }
  check.text('tableName', tableName);
  if (ttlSeconds !== undefined && !(Number.isInteger(ttlSeconds) && ttlSeconds > 0)) {
    check.fail(
      `\`ttlSeconds\` must be a positive whole number of seconds, or undefined for durable records (got ${ttlSeconds}).`,
    );
  }
  check.text('ttlAttribute', ttlAttribute);
  if ((Object.values(RECORD) as string[]).includes(ttlAttribute)) {
    check.fail(`\`ttlAttribute\` "${ttlAttribute}" is taken by the dedup record; choose another name.`);
  }
  const { maxAttempts = 6, retryBaseDelayMs = 25, maxResultBytes = MAX_ITEM_BYTES, resultTooLarge = 'omit' } = options;
  check.wholeNumber('maxAttempts', maxAttempts, 1);
  check.nonNegative('retryBaseDelayMs', retryBaseDelayMs, 'milliseconds');
  check.wholeNumber('maxResultBytes', maxResultBytes, 0);
  if (resultTooLarge !== 'omit' && resultTooLarge !== 'error') {
    check.fail(`\`resultTooLarge\` must be "omit" or "error" (got ${String(resultTooLarge)}).`);
  }
  const outboxTable = options.outboxTable;
  if (outboxTable !== undefined) check.text('outboxTable', outboxTable);
  const cacheEntries = options.cache
    ? typeof options.cache === 'object'
      ? (options.cache.maxEntries ?? 1000)
      : 1000
    : undefined;
  if (cacheEntries !== undefined) check.wholeNumber('cache.maxEntries', cacheEntries, 1);
  const { precheck = 'auto', precheckRead = 'eventual' } = options;
  if (precheck !== true && precheck !== false && precheck !== 'auto') {
    check.fail(`\`precheck\` must be true, false or "auto" (got ${JSON.stringify(precheck)}).`);
  }
  if (precheckRead !== 'eventual' && precheckRead !== 'strong') {
    check.fail(`\`precheckRead\` must be "eventual" or "strong" (got ${JSON.stringify(precheckRead)}).`);
  }
  return {
    source,
    client,
    tableName,
    ttlSeconds,
    ttlAttribute,
    maxAttempts,
    retryBaseDelayMs,
    maxResultBytes,
    resultTooLarge,
    outboxTable,
    precheck,
    precheckRead,
    cacheEntries,
  };
}

// The names these options take, checked at runtime by `knownNames` (JavaScript callers have no
// compiler); typed OptionNames<…>, so a name added to or dropped from the type fails to compile here.

const IDEMPOTENCY_OPTIONS: OptionNames<IdempotencyOptions> = {
  client: true,
  tableName: true,
  source: true,
  ttlSeconds: true,
  ttlAttribute: true,
  maxAttempts: true,
  retryBaseDelayMs: true,
  maxResultBytes: true,
  resultTooLarge: true,
  outboxTable: true,
  precheck: true,
  precheckRead: true,
  cache: true,
};

const CACHE_OPTIONS: OptionNames<Exclude<IdempotencyOptions['cache'], boolean | undefined>> = {
  maxEntries: true,
};
