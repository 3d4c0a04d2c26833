import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { markdownBlocks, type ReadmeBlock, readmeSection } from './readme.js';

// A user's project outside this repository, set up as the README's Install section and
// docs/getting-started.md say: their `npm install` lines, then their files as printed.
// Shared by test/package/outside-app.test.ts (this repository's locked versions) and
// test/package/latest-versions.test.ts (what npm resolves today).

export interface ProcessResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface OutsideApp {
  dir: string;
  /** the README's and getting-started's code blocks, in order */
  blocks: ReadmeBlock[];
  run(command: string, args: string[], env?: NodeJS.ProcessEnv): SpawnSyncReturns<string>;
  /** Like run, without blocking: the type-check and the synth, each a process of its own, run side by side. */
  runAsync(command: string, args: string[]): Promise<ProcessResult>;
}

export const output = (result: { stdout: string; stderr: string }) => `${result.stdout}\n${result.stderr}`;

export function quickStartBlocks(): ReadmeBlock[] {
  return [...readmeSection('Install'), ...markdownBlocks('docs/getting-started.md')];
}

/** The `npm install …` lines of the sh blocks, comments dropped, as word lists after `npm install`. */
export function installLines(blocks: ReadmeBlock[]): string[][] {
  return blocks
    .filter((block) => block.language === 'sh')
    .flatMap((block) => block.code.split('\n'))
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line.startsWith('npm install '))
    .map((line) => line.split(/\s+/).slice(2));
}

/** An empty project in a temporary folder, with commands that run in it without AWS settings. */
export function createOutsideApp(): OutsideApp {
  const dir = mkdtempSync(join(tmpdir(), 'txonce-app-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'billing-webhooks', private: true, type: 'module' }));
  const appEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
    return {
      ...clean,
      CDK_DISABLE_VERSION_CHECK: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    };
  };
  return {
    dir,
    blocks: quickStartBlocks(),
    run: (command, args, env = {}) =>
      spawnSync(command, args, { cwd: dir, encoding: 'utf8', timeout: 240_000, env: appEnv(env) }),
    runAsync: (command, args) => {
      const child = spawn(command, args, { cwd: dir, env: appEnv({}), timeout: 240_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
      });
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      return new Promise((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    },
  };
}

/** Writes every titled block (src/store.ts, infra/app.ts, tsconfig.json, …) into the app, as printed. */
export function writeQuickStartFiles(app: OutsideApp): void {
  for (const block of app.blocks.filter((block) => block.title)) {
    const file = join(app.dir, block.title as string);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, block.code);
  }
}
