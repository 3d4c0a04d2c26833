import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Ends the emulators however the stack dies. A tiny detached `sh` reads the emulators' process
 * group ids on its stdin; when that pipe closes (the stack exited, crashed, or was SIGKILLed:
 * the kernel closes it in every case) it sends SIGTERM to each group, then SIGKILL. It ignores
 * SIGINT, SIGTERM and SIGHUP, so a Ctrl-C to the terminal's group does not end it first.
 */
const SCRIPT = `
trap '' INT TERM HUP
groups=''
while read -r group; do groups="$groups $group"; done
for group in $groups; do kill -15 "-$group" 2>/dev/null; done
sleep 3
for group in $groups; do kill -9 "-$group" 2>/dev/null; done
`;

export interface Reaper {
  /** the reaper will end this process group (a child spawned with detached: true) if the stack dies */
  watch(pid: number | undefined): void;
  /** the stack stopped its children itself: end the reaper without it killing anything */
  stop(): void;
  pid: number | undefined;
}

export function startReaper(): Reaper {
  const reaper: ChildProcess = spawn('sh', ['-c', SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  reaper.unref();
  // the pipe must not keep an otherwise finished process alive
  (reaper.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  reaper.on('error', () => undefined);
  reaper.stdin?.on('error', () => undefined);
  return {
    pid: reaper.pid,
    watch: (pid) => {
      if (pid) reaper.stdin?.write(`${pid}\n`);
    },
    stop: () => {
      if (reaper.exitCode === null && reaper.signalCode === null) reaper.kill('SIGKILL');
    },
  };
}
