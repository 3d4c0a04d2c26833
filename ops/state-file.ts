import { existsSync, readFileSync } from 'node:fs';

/** Where a running `npm start` tells the demo and the CLI how to reach it (TXONCE_STATE_FILE overrides). */
export function stateFilePath(): string {
  return process.env.TXONCE_STATE_FILE ?? '.txonce/local.json';
}

/**
 * The running stack's state, or why the file cannot be trusted: unreadable, or written by a
 * stack whose process is gone (killed before it could remove the file).
 */
export function readStateFile<T extends { pid?: number }>(
  file = stateFilePath(),
): { state?: T; problem?: string; pid?: number } {
  if (!existsSync(file)) return {};
  let state: T;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return {
      problem: `The state file ${file} is not valid JSON; delete it and start txonce local again (npm start in this repository).`,
    };
  }
  if (typeof state.pid !== 'number' || !isAlive(state.pid)) {
    return {
      pid: state.pid,
      problem: `The state file ${file} names a local stack${state.pid ? ` (pid ${state.pid})` : ''} that is no longer running; start txonce local again (npm start in this repository; it replaces the file), or delete the file.`,
    };
  }
  return { state, pid: state.pid };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
