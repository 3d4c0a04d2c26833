import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DedupRecord } from './dedup-record.js';

export type CommitFailure =
  | { kind: 'duplicate'; old: DedupRecord }
  | { kind: 'business'; index: number; reason: string; item: Record<string, unknown> | undefined }
  /** cancelled: DynamoDB cancelled the transaction (nothing applied); else its outcome is unknown */
  | { kind: 'conflict'; cancelled: boolean }
  | { kind: 'throttled' }
  | { kind: 'limit'; reason: string }
  | { kind: 'no-table' }
  | { kind: 'access-denied' }
  | { kind: 'other' };

/** Reads a failed TransactWriteItems: which action failed, and what that means. */
export function interpretCommitFailure(error: unknown): CommitFailure {
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
