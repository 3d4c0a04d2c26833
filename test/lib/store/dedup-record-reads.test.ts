import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TableNotFoundError } from '../../../lib/index.js';
import { type RecordReads, readRecords } from '../../../lib/store/dedup-record-reads.js';

// A batch's dedup records in BatchGetItem calls: the keys DynamoDB leaves unprocessed (throttled)
// are asked again after 50 ms, then 100 ms, and left out after the third call; what the client
// answers is read as loosely as the SDK types it (a stub that answers `{}` is not an error).

type Answer = (keys: string[]) => unknown;

/** A client whose BatchGetItem answers come from `answer`, each call's keys kept in `calls`. */
function reads(answer: Answer): { reads: RecordReads; calls: string[][] } {
  const calls: string[][] = [];
  const client = {
    send: async (command: { input: { RequestItems: Record<string, { Keys: { pk: string }[] }> } }) => {
      const keys = command.input.RequestItems.dedup.Keys.map((key) => key.pk);
      calls.push(keys);
      return answer(keys);
    },
  } as unknown as DynamoDBDocumentClient;
  return { reads: { client, tableName: 'dedup', ttlAttribute: 'expiresAt', consistentRead: false }, calls };
}

const found = (keys: string[]) => ({ Responses: { dedup: keys.map((pk) => ({ pk, runId: `r-${pk}` })) } });

afterEach(() => {
  vi.useRealTimers();
});

describe('reading a batch of dedup records', () => {
  it('asks again for the unprocessed keys after 50 ms, then 100 ms, and leaves out what is still unprocessed after 3 calls', async () => {
    vi.useFakeTimers();
    const { reads: settings, calls } = reads((keys) => ({
      ...found(keys.filter((key) => key !== 's#stuck')),
      UnprocessedKeys: keys.includes('s#stuck') ? { dedup: { Keys: [{ pk: 's#stuck' }] } } : {},
    }));
    const reading = readRecords(settings, ['s#a', 's#stuck']);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual([['s#a', 's#stuck']]);
    await vi.advanceTimersByTimeAsync(49);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual([['s#a', 's#stuck'], ['s#stuck']]);
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(3);
    const records = await reading;
    expect([...records.keys()]).toEqual(['s#a']);
  });

  it('asks 100 keys a call, each key once, and answers each: its record, or null when there is none', async () => {
    const { reads: settings, calls } = reads((keys) => found(keys.filter((key) => key !== 's#7')));
    const keys = Array.from({ length: 100 }, (_, index) => `s#${index}`);
    const records = await readRecords(settings, [...keys, 's#0', 's#100']);
    expect(calls.map((call) => call.length)).toEqual([100, 1]);
    expect(records.size).toBe(101);
    expect(records.get('s#7')).toBeNull();
    expect(records.get('s#100')).toEqual({ pk: 's#100', runId: 'r-s#100' });
  });

  it('takes an answer without Responses or UnprocessedKeys (a stub answering {}) as no records', async () => {
    for (const answer of [{}, { Responses: {}, UnprocessedKeys: {} }]) {
      const { reads: settings, calls } = reads(() => answer);
      const records = await readRecords(settings, ['s#a', 's#b']);
      expect(Object.fromEntries(records)).toEqual({ 's#a': null, 's#b': null });
      expect(calls).toHaveLength(1);
    }
  });

  it('names the table when DynamoDB has none, and passes any other failure on as it is', async () => {
    const failing = (error: unknown) =>
      ({
        client: { send: () => Promise.reject(error) },
        tableName: 'dedup',
        ttlAttribute: 'expiresAt',
        consistentRead: false,
      }) as unknown as RecordReads;
    const missing = Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
    await expect(readRecords(failing(missing), ['s#a'])).rejects.toThrow(TableNotFoundError);
    await expect(readRecords(failing(missing), ['s#a'])).rejects.toThrow(/no table "dedup" \(the dedup table\)/);
    const throttled = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    await expect(readRecords(failing(throttled), ['s#a'])).rejects.toBe(throttled);
    await expect(readRecords(failing(undefined), ['s#a'])).rejects.toBeUndefined();
  });
});
