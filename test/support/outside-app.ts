import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { markdownBlocks, type ReadmeBlock, readmeSection } from './readme.js';

// A user's project outside this repository, set up as the README's Install section and
// docs/getting-started.md say, in an empty folder: their `npm init`, `npm pkg` and `npm install`
// lines, then their files as printed. Nothing is added by hand.
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
  /** The environment commands run with: this process's, less AWS settings, plus `extra`. */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Like run, without blocking: the type-check and the synth, each a process of its own, run side by side. */
  runAsync(command: string, args: string[]): Promise<ProcessResult>;
}

export const output = (result: { stdout: string; stderr: string }) => `${result.stdout}\n${result.stderr}`;

export function quickStartBlocks(): ReadmeBlock[] {
  return [...readmeSection('Install'), ...markdownBlocks('docs/getting-started.md')];
}

/** One `npm init|pkg|install …` line of the sh blocks: the npm command and the words after it. */
export interface ProjectCommand {
  command: 'init' | 'pkg' | 'install';
  words: string[];
}

/** The `npm init`, `npm pkg` and `npm install` lines of the sh blocks, in order, comments dropped. */
export function projectCommands(blocks: ReadmeBlock[]): ProjectCommand[] {
  return blocks
    .filter((block) => block.language === 'sh')
    .flatMap((block) => block.code.split('\n'))
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => /^npm (init|pkg|install) /.test(line))
    .map((line) => {
      const [command, ...words] = line.split(/\s+/).slice(1);
      return { command: command as ProjectCommand['command'], words };
    });
}

/**
 * Runs the lines in order: `npm init` and `npm pkg` as printed, each `npm install` through
 * `install` (the test's own versions and cache mode). Throws with npm's output on a failure.
 */
export function runProjectCommands(
  app: OutsideApp,
  commands: ProjectCommand[],
  install: (words: string[]) => SpawnSyncReturns<string>,
): void {
  for (const { command, words } of commands) {
    const result = command === 'install' ? install(words) : app.run('npm', [command, ...words]);
    if (result.status !== 0) throw new Error(`npm ${command} ${words.join(' ')}\n${output(result)}`);
  }
}

/** An empty folder, with commands that run in it without AWS settings. */
export function createOutsideApp(): OutsideApp {
  const dir = mkdtempSync(join(tmpdir(), 'txonce-app-'));
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
    env: (extra = {}) => appEnv(extra),
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
