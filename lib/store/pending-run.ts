import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  AccessDeniedError,
  BusinessConditionError,
  TableNotFoundError,
  ThrottlingError,
  TransactionConflictError,
  TransactionLimitError,
} from '../shared/errors.js';
import { interpretCommitFailure } from './commit-failure.js';
import { type DedupRecord, dedupRecordPut, type NewRecord, outcomeOf, RECORD } from './dedup-record.js';
import { checkTransaction } from './limits.js';
import type { RunOutcome } from './run-outcome.js';
import { StagedWrites, type TransactWriteItem } from './staged-writes.js';

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
    const dedup = dedupRecordPut(this.settings.tableName, this.newRecord(), result);
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
        const verdict = interpretCommitFailure(error);
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

  private newRecord(): NewRecord {
    const { ttlSeconds, ttlAttribute, maxResultBytes, resultTooLarge } = this.settings;
    const { recordKey, runId, fingerprint } = this;
    return { recordKey, runId, fingerprint, ttlSeconds, ttlAttribute, maxResultBytes, resultTooLarge };
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

  #record: DedupRecord | undefined;
  #committedWriteUnits: number | undefined;

  /** What the committed transaction billed in write units (undefined until it commits). */
  get committedWriteUnits(): number | undefined {
    return this.#committedWriteUnits;
  }

  /** The dedup record as this delivery committed it, or as the first delivery left it. */
  get record(): DedupRecord | undefined {
    return this.#record;
  }

  /** What a stored record means for this delivery (dedup-record.ts reads it). */
  duplicateOf<R>(old: DedupRecord, ownResult?: R): RunOutcome<R> {
    this.#record = old;
    const { recordKey, runId, fingerprint } = this;
    return outcomeOf(old, { recordKey, runId, fingerprint, ownResult });
  }
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
