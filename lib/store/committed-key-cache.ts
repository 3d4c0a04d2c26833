import { type DedupRecord, isExpired } from './dedup-record.js';

/**
 * Dedup records this container has seen committed, newest kept: an optimisation only. A hit
 * skips the handler and DynamoDB; a miss (another container, a restart) changes nothing, since
 * the transaction's condition stays the source of truth.
 */
export class CommittedKeyCache {
  private readonly records = new Map<string, DedupRecord>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlAttribute: string,
  ) {}

  get(recordKey: string): DedupRecord | undefined {
    const record = this.records.get(recordKey);
    if (!record) return undefined;
    if (isExpired(record, this.ttlAttribute)) {
      this.records.delete(recordKey);
      return undefined;
    }
    return record;
  }

  set(recordKey: string, record: DedupRecord): void {
    this.records.delete(recordKey);
    this.records.set(recordKey, record);
    if (this.records.size > this.maxEntries) this.records.delete(this.records.keys().next().value as string);
  }
}
