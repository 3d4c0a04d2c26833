import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBenchmark } from '../bench/run.js';

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
    expect(results.crashes.txonce.crashed).toBeGreaterThan(0);
    // the counted behaviour the benchmark rests on
    expect(results.calls.txonce).toEqual({ first: 1, duplicate: 1 });
    expect(results.calls.plain.first).toBe(1);
    expect(results.crashes.txonce.doubled + results.crashes.txonce.missing).toBe(0);

    const markdown = readFileSync(join(outDir, 'RESULTS.md'), 'utf8');
    expect(markdown).toContain('## Doubled effects under injected crashes');
    expect(markdown).toContain('Tiny run');
    expect(readFileSync(join(outDir, 'results.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  }, 120_000);
});
