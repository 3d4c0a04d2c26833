import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/package.js';
import { isAlive, runCommandAsync, tsNode } from '../support/processes.js';
import { mulberry32, shuffle } from '../support/random.js';

/**
 * A fault run of the local stack, as an operator would try it: `npm start` (its own process,
 * DynamoDB Local kept in a data folder), demos sent through it back to back, and meanwhile
 * DynamoDB Local, moto and a function environment killed with SIGKILL at seeded random
 * moments. Each demo must end OK (every total exact, every receipt once, the poison in the
 * DLQ with its reason); then a SIGTERM to the stack must leave nothing running.
 */
export interface ChaosOptions {
  /** how long to go on killing (and starting demos); the last demo always finishes */
  minutes: number;
  seed: number;
  /** webhooks per demo */
  events: number;
  /** a synthesized cloud assembly to run (TXONCE_CDK_OUT); default: npm start synthesizes */
  cdkOut?: string;
  log?: (line: string) => void;
}

export type Target = 'DynamoDB Local' | 'moto server' | 'function environment';

export interface Kill {
  /** seconds since the stack was ready */
  at: number;
  target: Target;
  pid: number;
  /** seconds until the stack said it was back (emulators) */
  backAfter?: number;
}

export interface DemoRun {
  status: number | null;
  seconds: number;
  output: string;
}

export interface ChaosReport {
  seed: number;
  kills: Kill[];
  demos: DemoRun[];
  /** pids of emulators and function environments still alive after the stack stopped */
  leftRunning: number[];
  stateFileLeft: boolean;
  stackExit: number | null;
  stackOutput: string;
}

const TARGETS: Target[] = ['DynamoDB Local', 'moto server', 'function environment'];
/** The supervisor gives up on an emulator restarted 3 times in 5 minutes: the run kills each at most every 110 s. */
const EMULATOR_COOLDOWN_MS = 110_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const random = mulberry32(options.seed);
  const dir = mkdtempSync(join(tmpdir(), 'txonce-chaos-'));
  const stateFile = join(dir, 'local.json');
  const stack = startStack(dir, stateFile, options.cdkOut);
  const kills: Kill[] = [];
  const demos: DemoRun[] = [];
  const seen = new Set<number>();
  try {
    await until(
      () => stack.output().includes('txonce local stack ready'),
      180_000,
      () => stack.output(),
    );
    const readyAt = Date.now();
    const seconds = () => Math.round((Date.now() - readyAt) / 100) / 10;
    const state = () => JSON.parse(readFileSync(stateFile, 'utf8')) as { pids: number[]; pid: number };
    const endAt = readyAt + options.minutes * 60_000;
    log(
      `chaos seed ${options.seed}: stack ready (pid ${stack.child.pid}); ${options.minutes} min, ${options.events} events per demo`,
    );

    let demosDone = false;
    const demoLoop = (async () => {
      while (demos.length === 0 || Date.now() < endAt) {
        const startedAt = Date.now();
        log(`${seconds()} s: demo ${demos.length + 1} starts`);
        const result = await runCommandAsync(
          [...tsNode('local/demo.ts'), '--events', String(options.events)],
          { TXONCE_STATE_FILE: stateFile },
          600_000,
        );
        const run = {
          status: result.status,
          seconds: (Date.now() - startedAt) / 1000,
          output: result.stdout + result.stderr,
        };
        demos.push(run);
        log(`${seconds()} s: demo ${demos.length} ended with status ${run.status} after ${run.seconds.toFixed(1)} s`);
        if (run.status !== 0) break;
      }
      demosDone = true;
    })();

    const lastKilled = new Map<Target, number>();
    let round: Target[] = [];
    while (!demosDone && Date.now() < endAt) {
      await sleepUnless(2000 + random() * 8000, () => demosDone);
      if (demosDone || Date.now() >= endAt) break;
      if (round.length === 0) round = shuffle(TARGETS, random);
      const target = round.shift() as Target;
      if (target !== 'function environment' && Date.now() - (lastKilled.get(target) ?? 0) < EMULATOR_COOLDOWN_MS)
        continue;
      const pids = target === 'function environment' ? functionEnvironments(stack.child.pid as number) : [];
      const pid =
        target === 'DynamoDB Local'
          ? state().pids[0]
          : target === 'moto server'
            ? state().pids[1]
            : pids[Math.floor(random() * pids.length)];
      if (!pid) {
        round.push(target); // no environment running right now: later
        continue;
      }
      for (const each of [...state().pids, ...pids]) seen.add(each);
      const backBefore = stack.output().split(`${target} is back`).length;
      process.kill(pid, 'SIGKILL');
      lastKilled.set(target, Date.now());
      const kill: Kill = { at: seconds(), target, pid };
      kills.push(kill);
      log(`${kill.at} s: killed ${target} (pid ${pid})`);
      if (target !== 'function environment') {
        await until(
          () => stack.output().split(`${target} is back`).length > backBefore,
          120_000,
          () => stack.output(),
        );
        kill.backAfter = Math.round((seconds() - kill.at) * 10) / 10;
        log(`${seconds()} s: ${target} is back after ${kill.backAfter} s`);
      }
    }
    await demoLoop;
    for (const each of [...state().pids, ...functionEnvironments(stack.child.pid as number)]) seen.add(each);
  } finally {
    await stack.stop();
  }
  const leftRunning = await stillAlive([...seen], 15_000);
  const report: ChaosReport = {
    seed: options.seed,
    kills,
    demos,
    leftRunning,
    stateFileLeft: existsSync(stateFile),
    stackExit: stack.child.exitCode,
    stackOutput: stack.output(),
  };
  rmSync(dir, { recursive: true, force: true });
  return report;
}

/** `npm start` as its own process (node with tsx's loader), in its own process group. */
function startStack(dir: string, stateFile: string, cdkOut: string | undefined) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: '0',
      TXONCE_STATE_FILE: stateFile,
      TXONCE_DATA_DIR: join(dir, 'data'),
      // a batch whose environment was killed comes back in 10 s, not the deployed 3 minutes
      TXONCE_VISIBILITY_TIMEOUT: '10',
      ...(cdkOut ? { TXONCE_CDK_OUT: cdkOut } : {}),
    },
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    /** SIGTERM to the stack's own process, as `kill <pid>`; SIGKILL to its group if it has not ended in 30 s */
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The stack's function environments: its child processes running the local Lambda runtime. */
function functionEnvironments(stackPid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(stackPid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes('function-runtime.mjs'))
      .map((line) => Number.parseInt(line.trim(), 10));
  } catch {
    return []; // ps exits 1 when there is no such child
  }
}

async function stillAlive(pids: number[], withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(200);
  return pids.filter(isAlive);
}

async function until(check: () => boolean, timeoutMs: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`chaos run: timed out; the stack printed:\n${context().slice(-4000)}`);
    await sleep(200);
  }
}

async function sleepUnless(ms: number, stop: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !stop()) await sleep(Math.min(200, deadline - Date.now()));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The report in lines: what was killed and when, how long each emulator took to come back, each demo's totals. */
export function describeChaos(report: ChaosReport): string {
  const lines = [`chaos seed ${report.seed}`];
  for (const kill of report.kills)
    lines.push(
      `  ${String(kill.at).padStart(6)} s  killed ${kill.target} (pid ${kill.pid})${kill.backAfter === undefined ? '' : `, back after ${kill.backAfter} s`}`,
    );
  report.demos.forEach((demo, index) => {
    const from = demo.output.indexOf('\nsent ');
    const totals = from < 0 ? '' : demo.output.slice(from, demo.output.indexOf('\n\n', from)).trim();
    lines.push(`demo ${index + 1}: status ${demo.status}, ${demo.seconds.toFixed(1)} s`, totals);
    const verdict = demo.output.split('\n').find((line) => /^(OK|FAILED)/.test(line));
    if (verdict) lines.push(verdict);
    if (demo.status !== 0) lines.push(demo.output.trim().split('\n').slice(-15).join('\n'));
  });
  lines.push(
    `stack stopped with status ${report.stackExit}; left running: ${report.leftRunning.length ? report.leftRunning.join(', ') : 'nothing'}; state file ${report.stateFileLeft ? 'LEFT BEHIND' : 'removed'}`,
  );
  return lines.join('\n');
}
