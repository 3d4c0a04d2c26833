import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { itemBytes, readUnits, writeUnits } from '../../bench/item-size.js';
import { runBenchmark } from '../../bench/run.js';

describe('npm run bench (tiny run, so it cannot rot)', () => {
  it('runs every measurement and writes the report and the chart', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'txonce-bench-'));
    const results = await runBenchmark({ scale: 'tiny', outDir });

    // what it reports, not how fast: every section present and numeric
    for (const name of ['txonce', 'peer', 'plain'] as const) {
      expect(Number.isFinite(results.latency[name].median)).toBe(true);
      for (const concurrency of [1, 10, 50]) expect(results.throughput[concurrency][name]).toBeGreaterThan(0);
    }
    expect(Number.isFinite(results.batch.txonce.median) && Number.isFinite(results.batch.peer.median)).toBe(true);
    expect(results.cold.txonce.bundleBytes).toBeGreaterThan(0);
    // the failure really reached every 10th first attempt (30 events: 0, 10, 20), and each crashed
    // peer delivery had to come again
    expect([results.crashes.txonce.crashed, results.crashes.peer.crashed]).toEqual([3, 3]);
    expect(results.crashes.peer.retries).toBeGreaterThanOrEqual(3);
    // the counted behaviour the benchmark rests on
    expect(results.calls.txonce).toEqual({ first: 1, duplicate: 1 });
    expect(results.calls.plain.first).toBe(1);
    expect(results.crashes.txonce.doubled + results.crashes.txonce.missing).toBe(0);

    // request units by the published rules, metered from the actual items
    const cost = (name: string, items: 1 | 2) => {
      const found = results.cost.variants.find((variant) => variant.name === name && variant.items === items);
      if (!found) throw new Error(`no cost row for ${name}, ${items} items`);
      return found;
    };
    // one transaction: 2 units per item (record, invoice, customer), cancelled or not
    expect([cost('txonce', 2).first.writeUnits, cost('txonce', 2).duplicate.writeUnits]).toEqual([6, 6]);
    expect([cost('txonce', 1).first.writeUnits, cost('txonce', 1).duplicate.writeUnits]).toEqual([4, 4]);
    // the peer: record put, put + update, record update; a duplicate is one failed conditional put
    expect([cost('peer, plain write', 2).first.writeUnits, cost('peer, plain write', 2).duplicate.writeUnits]).toEqual([
      4, 1,
    ]);
    expect(cost('peer, transactional write', 2).first.writeUnits).toBe(6);
    // precheck: one eventually consistent read per delivery (half a unit), and a duplicate writes nothing
    expect(cost('txonce + precheck', 2).duplicate).toMatchObject({ writeUnits: 0, readUnits: 0.5 });
    expect(cost('txonce + precheck', 2).first).toMatchObject({ writeUnits: 6, readUnits: 0.5 });
    // the defaults, metered on a 25%-duplicates stream after a warm-up: 'auto' has turned the read on
    expect(cost('txonce (default)', 2).duplicate).toMatchObject({ writeUnits: 0, readUnits: 0.5 });
    expect(results.ratios.costDefaultPeerTransactional).toBeGreaterThan(0);
    // DynamoDB Local's ConsumedCapacity agrees wherever it reports one
    expect(results.cost.crossCheck.reported).toBeGreaterThan(0);
    expect(results.cost.crossCheck.agree).toBe(results.cost.crossCheck.reported);
    for (const variant of results.cost.variants) {
      expect(variant.perMillion.map((row) => row.share)).toEqual([0, 0.25, 0.5]);
      for (const row of variant.perMillion) expect(row.total).toBeCloseTo(row.dynamo + row.lambda, 10);
    }
    expect(cost('txonce', 2).perMillion[0].dynamo).toBeCloseTo(6 * 0.625, 10);
    expect(results.ratios.costTxoncePeer).toBeGreaterThan(0);

    // hot key with TransactionConflict injected at 10% of commits: retried, never doubled or lost
    for (const name of ['txonce', 'peer'] as const) {
      const cell = results.contention.find(
        (row) => row.contender === name && row.concurrency === 10 && row.conflictRate === 0.1,
      );
      expect(cell?.injected).toBeGreaterThan(0);
      expect(cell?.retriesPerEvent).toBeGreaterThan(0);
      expect([cell?.doubled, cell?.lost]).toEqual([0, 0]);
    }
    // txonce retries a conflict itself; the peer fails the delivery, which must come again
    const txonceHot = results.contention.find((row) => row.contender === 'txonce' && row.conflictRate === 0.1);
    const peerHot = results.contention.find((row) => row.contender === 'peer' && row.conflictRate === 0.1);
    expect(txonceHot?.redeliveriesPerEvent).toBe(0);
    expect(peerHot?.redeliveriesPerEvent).toBeGreaterThan(0);

    const markdown = readFileSync(join(outDir, 'RESULTS.md'), 'utf8');
    expect(markdown).toContain('## Doubled effects under injected crashes');
    expect(markdown).toContain('## Cost per million events');
    expect(markdown).toContain('## Hot key and injected conflicts');
    expect(readFileSync(join(outDir, 'cost.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    expect(markdown).toContain('Tiny run');
    expect(readFileSync(join(outDir, 'results.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  }, 240_000);
});

describe('item sizes and request units by the published rules', () => {
  it('counts names, UTF-8 strings, numbers by significant digits, and rounds units up', () => {
    // "pk" + "abc" = 5; "n" + 123 (3 digits: 2 bytes + 1) = 4; "é" is 2 bytes + "x" 1 byte = 3 + 1 (bool)
    expect(itemBytes({ pk: { S: 'abc' }, n: { N: '123' }, é: { BOOL: true } })).toBe(5 + 4 + 3);
    // a map: 3 bytes + per element 1 byte + name + value
    expect(itemBytes({ m: { M: { a: { S: 'xy' } } } })).toBe(1 + 3 + 1 + 1 + 2);
    expect(itemBytes({ n: { N: '1000.000' } })).toBe(1 + 2);
    expect([writeUnits(0), writeUnits(1024), writeUnits(1025)]).toEqual([1, 1, 2]);
    expect([readUnits(4096, true), readUnits(4097, true), readUnits(10, false)]).toEqual([1, 2, 0.5]);
  });
});
