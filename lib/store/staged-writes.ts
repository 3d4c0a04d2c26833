import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { type StagedWriteRef, TransactionLimitError } from '../shared/errors.js';
import { itemBytes, MAX_ITEM_BYTES, MAX_TRANSACTION_ACTIONS } from './limits.js';
import { type OutboxMessage, outboxItem } from './outbox.js';
import { putKey } from './put-key.js';

export type TransactWriteItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
/**
 * A Put as a `TransactWriteCommand` item takes it (`@aws-sdk/lib-dynamodb`), for `tx.put`.
 *
 * @example
 * ```ts
 * import type { PutWrite } from 'txonce';
 *
 * export const write: PutWrite = { TableName: 'invoices', Item: { pk: 'inv_1', status: 'paid' } };
 * ```
 */
export type PutWrite = NonNullable<TransactWriteItem['Put']>;
/**
 * An Update as a `TransactWriteCommand` item takes it (`@aws-sdk/lib-dynamodb`), for `tx.update`.
 *
 * @example
 * ```ts
 * import type { UpdateWrite } from 'txonce';
 *
 * export const write: UpdateWrite = {
 *   TableName: 'customers',
 *   Key: { pk: 'cus_1' },
 *   UpdateExpression: 'ADD paidTotal :a',
 *   ExpressionAttributeValues: { ':a': 1250 },
 * };
 * ```
 */
export type UpdateWrite = NonNullable<TransactWriteItem['Update']>;
/**
 * A Delete as a `TransactWriteCommand` item takes it (`@aws-sdk/lib-dynamodb`), for `tx.delete`.
 *
 * @example
 * ```ts
 * import type { DeleteWrite } from 'txonce';
 *
 * export const write: DeleteWrite = { TableName: 'holds', Key: { pk: 'hold_1' } };
 * ```
 */
export type DeleteWrite = NonNullable<TransactWriteItem['Delete']>;
/**
 * A ConditionCheck as a `TransactWriteCommand` item takes it (`@aws-sdk/lib-dynamodb`), for
 * `tx.conditionCheck`: the transaction commits only if it holds.
 *
 * @example
 * ```ts
 * import type { ConditionCheckWrite } from 'txonce';
 *
 * export const write: ConditionCheckWrite = {
 *   TableName: 'orders',
 *   Key: { pk: 'ord_1' },
 *   ConditionExpression: '#status = :open',
 *   ExpressionAttributeNames: { '#status': 'status' },
 *   ExpressionAttributeValues: { ':open': 'open' },
 * };
 * ```
 */
export type ConditionCheckWrite = NonNullable<TransactWriteItem['ConditionCheck']>;
type Action = StagedWriteRef['action'];
/** The fields of a staged write that describe it (any action). */
type DescribedWrite = {
  TableName: string;
  Key?: Record<string, unknown>;
  Item?: Record<string, unknown>;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
};

/**
 * What a handler stages its business writes on. Each method takes the same object as the
 * matching member of a `TransactWriteCommand` item; nothing is sent until the work returns.
 *
 * @example
 * ```ts
 * import type { Tx } from 'txonce';
 * import { store } from './store.js';
 *
 * function transfer(tx: Tx, transfer: { id: string; from: string; to: string; amount: number }) {
 *   tx.conditionCheck({
 *     TableName: 'accounts-open',
 *     Key: { pk: transfer.to },
 *     ConditionExpression: 'attribute_exists(pk)',
 *   });
 *   tx.update({
 *     TableName: 'accounts',
 *     Key: { pk: transfer.from },
 *     UpdateExpression: 'ADD balance :minus',
 *     ConditionExpression: 'balance >= :amount',
 *     ExpressionAttributeValues: { ':minus': -transfer.amount, ':amount': transfer.amount },
 *   });
 *   tx.update({
 *     TableName: 'accounts',
 *     Key: { pk: transfer.to },
 *     UpdateExpression: 'ADD balance :amount',
 *     ExpressionAttributeValues: { ':amount': transfer.amount },
 *   });
 *   tx.put({ TableName: 'ledger', Item: { pk: transfer.id, ...transfer } });
 *   tx.delete({ TableName: 'holds', Key: { pk: transfer.id } });
 * }
 *
 * export const apply = (event: { id: string; from: string; to: string; amount: number }) =>
 *   store.run({ key: event.id }, (tx) => transfer(tx, event));
 * ```
 */
export interface Tx {
  /** Stages a Put (an item written whole). */
  put(write: PutWrite): void;
  /** Stages an Update (an `UpdateExpression` on one item). */
  update(write: UpdateWrite): void;
  /** Stages a Delete. */
  delete(write: DeleteWrite): void;
  /** Stages a ConditionCheck: the transaction commits only if its condition holds; it writes nothing. */
  conditionCheck(write: ConditionCheckWrite): void;
  /**
   * Stages a message for the outbox table, in the same transaction: it exists if and only if
   * the writes commit, and the publisher delivers it. Returns its stable id.
   */
  emit(message: OutboxMessage): string;
}

/** The dedup record takes one of the transaction's actions. */
export const MAX_STAGED_WRITES = MAX_TRANSACTION_ACTIONS - 1;

/** Collects the handler's writes, checking each one as it is staged. */
export class StagedWrites implements Tx {
  readonly items: TransactWriteItem[] = [];
  private sealed = false;
  private emitted = 0;

  constructor(private readonly outbox?: { tableName: string | undefined; recordKey: string }) {}

  put(write: PutWrite): void {
    this.stage('Put', write);
    if (!isRecord(write.Item)) malformed('Put', 'needs an Item object');
    const bytes = itemBytes(write.Item);
    if (bytes > MAX_ITEM_BYTES) {
      throw new TransactionLimitError(
        `Staged Put #${this.items.length} on ${write.TableName} is about ${bytes} bytes; ` +
          `DynamoDB items are at most ${MAX_ITEM_BYTES} bytes. Store large payloads elsewhere (e.g. S3) and keep a reference.`,
      );
    }
    this.items.push({ Put: write });
  }

  update(write: UpdateWrite): void {
    this.stage('Update', write);
    if (typeof write.UpdateExpression !== 'string') malformed('Update', 'needs an UpdateExpression');
    this.items.push({ Update: write });
  }

  delete(write: DeleteWrite): void {
    this.stage('Delete', write);
    this.items.push({ Delete: write });
  }

  conditionCheck(write: ConditionCheckWrite): void {
    this.stage('ConditionCheck', write);
    if (typeof write.ConditionExpression !== 'string') {
      malformed('ConditionCheck', 'needs a ConditionExpression');
    }
    this.items.push({ ConditionCheck: write });
  }

  emit(message: OutboxMessage): string {
    if (!this.outbox?.tableName) {
      throw new TypeError('tx.emit() needs an outbox table: new Idempotency({ ..., outboxTable }).');
    }
    const item = outboxItem(this.outbox.recordKey, this.emitted, message);
    this.put({ TableName: this.outbox.tableName, Item: item as unknown as Record<string, unknown> });
    this.emitted++;
    return item.messageId;
  }

  /** No more writes once the transaction is being committed (e.g. a forgotten `await`). */
  seal(): void {
    this.sealed = true;
  }

  /** Describes staged write `index` for error messages; a Put's key is found as putKey says. */
  ref(index: number): StagedWriteRef {
    const actions = this.items.map((item) => Object.entries(item)[0] as [Action, DescribedWrite]);
    const [action, write] = actions[index];
    const key =
      action === 'Put'
        ? putKey(
            write,
            actions.map(([, other]) => other),
          )
        : write.Key;
    return { index, action, tableName: write.TableName, key };
  }

  private stage(action: Action, write: { TableName?: unknown; Key?: unknown }): void {
    if (this.sealed) {
      throw new TransactionLimitError(
        `tx.${lowerFirst(action)}() was called after the work returned; the transaction is already being committed. ` +
          'Await every write before the handler returns.',
      );
    }
    if (!isRecord(write)) malformed(action, 'takes an object');
    if (typeof write.TableName !== 'string' || write.TableName.length === 0) {
      malformed(action, 'needs a TableName');
    }
    if (action !== 'Put' && !isRecord(write.Key)) malformed(action, 'needs a Key object');
    if (this.items.length >= MAX_STAGED_WRITES) {
      throw new TransactionLimitError(
        `A transaction holds at most ${MAX_TRANSACTION_ACTIONS} actions and the dedup record takes one, ` +
          `so a handler may stage at most ${MAX_STAGED_WRITES} writes. Split the work across events.`,
      );
    }
  }
}

function malformed(action: Action, problem: string): never {
  throw new TransactionLimitError(`tx.${lowerFirst(action)}() ${problem}, like a TransactWriteCommand ${action}.`);
}

function lowerFirst(text: string): string {
  return text[0].toLowerCase() + text.slice(1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
