import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  AccessDeniedError,
  BusinessConditionError,
  IdempotencyKeyReuseError,
  TableNotFoundError,
  ThrottlingError,
  TransactionConflictError,
  TransactionLimitError,
  UnstorableResultError,
} from './errors.js';
import { faithfulJson } from './json-data.js';
import type { Jsonified } from './jsonified.js';
import { checkTransaction, itemBytes, MAX_ITEM_BYTES } from './limits.js';
import { RECORD } from './record.js';
import { StagedWrites, type TransactWriteItem } from './staged-writes.js';

/**
 * What a run resolves to: the first delivery commits, every later one is a duplicate.
 *
 * @example
 * ```ts
 * import type { RunOutcome } from 'txonce';
 *
 * export function describe(outcome: RunOutcome<{ invoice: string }>): string {
 *   if (outcome.status === 'committed') return `applied ${outcome.result.invoice}`;
 *   return `duplicate of a delivery committed at ${outcome.firstSeenAt}`;
 * }
 * ```
 */
export type RunOutcome<R> =
  | { status: 'committed'; result: R }
  | ({
      status: 'duplicate';
      /** when the first delivery committed (ISO 8601) */
      firstSeenAt: string;
    } & StoredResult<R>);

/**
 * The first delivery's result as a duplicate gets it: stored as JSON, so it comes back as its
 * JSON form (a Date as a string), or not at all when it was too large to store.
 *
 * @example
 * ```ts
 * import type { StoredResult } from 'txonce';
 *
 * export function invoiceOf(stored: StoredResult<{ invoice: string }>): string | undefined {
 *   return stored.resultOmitted ? undefined : stored.result.invoice; // omitted: it was too large to store
 * }
 * ```
 */
export type StoredResult<R> =
  | { result: Jsonified<R>; resultOmitted: false }
  | { result: undefined; resultOmitted: true };

/** The settings a commit needs, resolved once by `Idempotency`. */
export interface CommitSettings {
  client: DynamoDBDocumentClient;
  tableName: string;
  ttlSeconds: number | undefined;
  ttlAttribute: string;
  maxAttempts: number;
  retryBaseDelayMs: number;
  maxResultBytes: number;
  resultTooLarge: 'omit' | 'error';
  outboxTable: string | undefined;
}

type Verdict =
  | { kind: 'duplicate'; old: Record<string, unknown> }
  | { kind: 'business'; index: number; reason: string; item: Record<string, unknown> | undefined }
  /** cancelled: DynamoDB cancelled the transaction (nothing applied); else its outcome is unknown */
  | { kind: 'conflict'; cancelled: boolean }
  | { kind: 'throttled' }
  | { kind: 'limit'; reason: string }
  | { kind: 'no-table' }
  | { kind: 'access-denied' }
  | { kind: 'other' };

const RETRY_CAP_MS = 1000;

/**
 * One delivery of one key: the handler stages writes on `tx`, then `commit` sends the dedup
 * record and those writes as a single TransactWriteItems. `runId` is unique to this delivery
 * and stored in the record, so a retry that finds its own record knows it committed. The
 * ClientRequestToken starts as the runId and is renewed only after a cancellation (see commit).
 */
export class PendingRun {
  readonly tx: StagedWrites;
  private readonly runId = randomUUID();

  constructor(
    private readonly settings: CommitSettings,
    readonly recordKey: string,
    private readonly fingerprint: string | undefined,
  ) {
    this.tx = new StagedWrites({ tableName: settings.outboxTable, recordKey });
  }

  async commit<R>(result: R): Promise<RunOutcome<R>> {
    this.tx.seal();
    const dedup = this.dedupPut(result);
    const items = [{ Put: dedup }, ...this.tx.items];
    const writeUnits = this.checkBeforeSending(items);

    // Tokens across retries. A token covers an attempt whose outcome is unknown: resent with
    // the same token, it is not applied twice. The SDK's own retries (lost response, timeout)
    // resend it unchanged, and so does this loop after TransactionInProgressException. A
    // cancelled transaction is a definite answer (nothing applied), and DynamoDB does not
    // document what a retry with a cancelled token gets: if it replayed the cancellation,
    // every conflict retry would fail. So after a cancellation the next attempt takes a new
    // token. runId, in the record, stays the delivery's: a retry that meets its own record
    // (whichever token committed it) still knows it committed.
    let token: string = this.runId;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.settings.client.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: token }));
        this.#record = dedup.Item;
        this.#committedWriteUnits = writeUnits;
        return { status: 'committed', result };
      } catch (error) {
        const verdict = interpret(error);
        switch (verdict.kind) {
          case 'duplicate':
            return this.duplicateOf(verdict.old, result);
          case 'business':
            throw new BusinessConditionError(this.tx.ref(verdict.index), verdict.reason, verdict.item, error);
          case 'conflict':
            if (attempt >= this.settings.maxAttempts) throw new TransactionConflictError(attempt, error);
            if (verdict.cancelled) token = randomUUID();
            await sleep(jitteredBackoff(attempt, this.settings.retryBaseDelayMs));
            continue;
          case 'throttled':
            throw new ThrottlingError(error);
          case 'limit':
            throw new TransactionLimitError(`DynamoDB rejected the transaction: ${verdict.reason}`, { cause: error });
          case 'no-table':
            throw new TableNotFoundError(
              [...new Set(items.map((item) => String(Object.values(item)[0].TableName)))],
              error,
            );
          case 'access-denied':
            throw new AccessDeniedError(error);
          default:
            throw error;
        }
      }
    }
  }

  private dedupPut(result: unknown): NonNullable<TransactWriteItem['Put']> {
    const { ttlSeconds, ttlAttribute } = this.settings;
    const now = Date.now();
    const nowSeconds = Math.floor(now / 1000);
    const item: Record<string, unknown> = {
      [RECORD.key]: this.recordKey,
      [RECORD.firstSeenAt]: new Date(now).toISOString(),
      [RECORD.runId]: this.runId,
    };
    if (this.fingerprint !== undefined) item[RECORD.fingerprint] = this.fingerprint;
    if (ttlSeconds !== undefined) item[ttlAttribute] = nowSeconds + ttlSeconds;
    this.storeResult(item, result);

    const names: Record<string, string> = { '#pk': RECORD.key };
    if (ttlSeconds === undefined) {
      return {
        TableName: this.settings.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: names,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      };
    }
    // An expired record that DynamoDB's TTL sweeper has not deleted yet must not block.
    return {
      TableName: this.settings.tableName,
      Item: item,
      ConditionExpression: 'attribute_not_exists(#pk) OR #expires < :now',
      ExpressionAttributeNames: { ...names, '#expires': ttlAttribute },
      ExpressionAttributeValues: { ':now': nowSeconds },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }

  /**
   * Results are stored as JSON text: one that would not come back the same is refused, one that
   * would not fit is omitted or refused, by option.
   */
  private storeResult(item: Record<string, unknown>, result: unknown): void {
    if (result === undefined) return;
    const stored = faithfulJson(result);
    if ('loss' in stored) throw new UnstorableResultError(stored.loss, { cause: stored.cause });
    const { json } = stored;
    if (json === undefined) return; // a toJSON that returned undefined: nothing to replay, as for a void handler
    const resultBytes = Buffer.byteLength(json, 'utf8');
    const room = Math.min(this.settings.maxResultBytes, MAX_ITEM_BYTES - itemBytes(item) - RECORD.result.length);
    if (resultBytes <= room) {
      item[RECORD.result] = json;
      return;
    }
    if (this.settings.resultTooLarge === 'error') {
      throw new TransactionLimitError(
        `The handler's result is ${resultBytes} bytes as JSON; at most ${room} can be stored with the dedup record. ` +
          'Return a smaller result (an id, a status), or set resultTooLarge: "omit".',
      );
    }
    item[RECORD.resultOmitted] = true;
  }

  /** Checks the transaction against DynamoDB's limits; answers the write units it will bill. */
  private checkBeforeSending(items: TransactWriteItem[]): number {
    const actions = items.map((item) => Object.values(item)[0]);
    const knownKeys: Record<string, string[]> = { [this.settings.tableName]: [RECORD.key] };
    if (this.settings.outboxTable) knownKeys[this.settings.outboxTable] = ['pk'];
    const check = checkTransaction(actions, knownKeys);
    if (check.ok) return check.writeUnits;
    const refs = check.indexes.map((index) => (index === 0 ? 'the dedup record' : describe(this.tx.ref(index - 1))));
    throw new TransactionLimitError(
      `Cannot commit: ${check.problem}${refs.length ? ` (${refs.join(' and ')})` : ''}. ` +
        'Nothing was sent. Combine writes to one item into one action, and keep the transaction under DynamoDB limits.',
    );
  }

  #record: Record<string, unknown> | undefined;
  #committedWriteUnits: number | undefined;

  /** What the committed transaction billed in write units (undefined until it commits). */
  get committedWriteUnits(): number | undefined {
    return this.#committedWriteUnits;
  }

  /** The dedup record as this delivery committed it, or as the first delivery left it. */
  get record(): Record<string, unknown> | undefined {
    return this.#record;
  }

  /**
   * What a stored record means for this delivery: its own earlier commit (the same runId), a
   * duplicate, or a reused key (another fingerprint).
   */
  duplicateOf<R>(old: Record<string, unknown>, ownResult?: R): RunOutcome<R> {
    this.#record = old;
    // Our own earlier attempt committed and its response was lost: this delivery is the commit.
    if (old[RECORD.runId] === this.runId) return { status: 'committed', result: ownResult as R };
    const firstSeenAt = String(old[RECORD.firstSeenAt] ?? '');
    const storedFingerprint = old[RECORD.fingerprint];
    if (
      this.fingerprint !== undefined &&
      typeof storedFingerprint === 'string' &&
      storedFingerprint !== this.fingerprint
    ) {
      throw new IdempotencyKeyReuseError(this.recordKey, firstSeenAt || undefined);
    }
    if (old[RECORD.resultOmitted] === true) {
      return { status: 'duplicate', firstSeenAt, result: undefined, resultOmitted: true };
    }
    const stored = old[RECORD.result];
    return {
      status: 'duplicate',
      firstSeenAt,
      // no stored result: the first handler returned undefined
      result: (typeof stored === 'string' ? JSON.parse(stored) : undefined) as Jsonified<R>,
      resultOmitted: false,
    };
  }
}

/** Reads a failed TransactWriteItems: which action failed, and what that means. */
function interpret(error: unknown): Verdict {
  const { name, message, CancellationReasons } = (error ?? {}) as {
    name?: string;
    message?: string;
    CancellationReasons?: { Code?: string; Message?: string; Item?: Record<string, AttributeValue> }[];
  };
  if (name === 'TransactionCanceledException' && Array.isArray(CancellationReasons)) {
    const codes = CancellationReasons.map((reason) => reason?.Code);
    if (codes[0] === 'ConditionalCheckFailed') {
      const raw = CancellationReasons[0].Item;
      return { kind: 'duplicate', old: raw ? unmarshall(raw) : {} };
    }
    const failed = codes.indexOf('ConditionalCheckFailed');
    if (failed > 0) {
      const reason = CancellationReasons[failed];
      return {
        kind: 'business',
        index: failed - 1,
        reason: reason.Message ?? 'ConditionalCheckFailed',
        item: reason.Item ? unmarshall(reason.Item) : undefined,
      };
    }
    if (codes.includes('TransactionConflict')) return { kind: 'conflict', cancelled: true };
    if (codes.includes('ThrottlingError') || codes.includes('ProvisionedThroughputExceeded')) {
      return { kind: 'throttled' };
    }
    const invalid = CancellationReasons.find(
      (reason) => reason?.Code === 'ValidationError' || reason?.Code === 'ItemCollectionSizeLimitExceeded',
    );
    if (invalid) return { kind: 'limit', reason: invalid.Message ?? invalid.Code ?? 'invalid request' };
    return { kind: 'other' };
  }
  // Another request with this token is still running: it may yet commit, so keep the token.
  if (name === 'TransactionInProgressException') return { kind: 'conflict', cancelled: false };
  if (
    name === 'ProvisionedThroughputExceededException' ||
    name === 'ThrottlingException' ||
    name === 'RequestLimitExceeded'
  ) {
    return { kind: 'throttled' };
  }
  if (name === 'ResourceNotFoundException') return { kind: 'no-table' };
  if (name === 'AccessDeniedException') return { kind: 'access-denied' };
  if (name === 'ValidationException' && /multiple operations on one item|size/i.test(message ?? '')) {
    return { kind: 'limit', reason: message ?? name };
  }
  return { kind: 'other' };
}

function describe(ref: ReturnType<StagedWrites['ref']>): string {
  return `staged write #${ref.index}, ${ref.action} on ${ref.tableName}`;
}

/** Full jitter: a random delay up to an exponentially growing, capped ceiling. */
function jitteredBackoff(attempt: number, baseMs: number): number {
  return Math.random() * Math.min(RETRY_CAP_MS, baseMs * 2 ** attempt);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
