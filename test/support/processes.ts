import { type ChildProcess, spawn, spawnSync } from 'node:child_process';

/** The txonce CLI as the package ships it: dist/cli.js (the global setup's `npm pack` built it). */
export const TXONCE_CLI = [process.execPath, 'dist/cli.js'];
/** A TypeScript entry of this repository run by Node with tsx's loader (no npx, no tsx wrapper process). */
export const tsNode = (entry: string) => [process.execPath, '--import', 'tsx', entry];

/** Runs a command ([program, ...args]) to completion and returns what it printed. */
export function runCommand([program, ...args]: string[], env: Record<string, string> = {}, timeoutMs = 60_000) {
  const result = spawnSync(program, args, {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Like runCommand, without blocking the test process (a test's own pollers keep running);
 * a command still running after `timeoutMs` is killed and reported with status null.
 */
export function runCommandAsync(
  [program, ...args]: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(program, args, {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

/** Starts a long-running command in its own process group, as a terminal would. */
export function startCommand(command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return {
    child,
    output: () => output,
    /** Ctrl-C: the signal goes to the whole process group. */
    interrupt: (signal: NodeJS.Signals = 'SIGINT') => process.kill(-(child.pid as number), signal),
    exited: () => exitOf(child),
  };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
