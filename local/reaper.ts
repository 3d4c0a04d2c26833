import { type ChildProcess, spawn } from 'node:child_process';
import { isAbsolute } from 'node:path';

/**
 * Ends the emulators and removes the stack's temporary folders however the stack dies. A tiny
 * detached `sh` reads, on its stdin, the emulators' process group ids and the folders to
 * remove (absolute paths); when that pipe closes (the stack exited, crashed, or was
 * SIGKILLed: the kernel closes it in every case) it sends SIGTERM to each group, then SIGKILL,
 * and removes the folders. It ignores SIGINT, SIGTERM and SIGHUP, so a Ctrl-C to the
 * terminal's group does not end it first.
 */
const SCRIPT = `
trap '' INT TERM HUP
groups=''
folders=''
while read -r line; do
  case "$line" in
    /*) folders="$folders
$line" ;;
    *) groups="$groups $line" ;;
  esac
done
for group in $groups; do kill -15 "-$group" 2>/dev/null; done
sleep 3
for group in $groups; do kill -9 "-$group" 2>/dev/null; done
printf '%s\n' "$folders" | while read -r folder; do [ -n "$folder" ] && rm -rf -- "$folder"; done
`;

export interface Reaper {
  /** the reaper will end this process group (a child spawned with detached: true) if the stack dies */
  watch(pid: number | undefined): void;
  /** the reaper will remove this folder (an absolute path) if the stack dies without removing it */
  remove(folder: string): void;
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
    remove: (folder) => {
      if (isAbsolute(folder) && !folder.includes('\n')) reaper.stdin?.write(`${folder}\n`);
    },
    stop: () => {
      if (reaper.exitCode === null && reaper.signalCode === null) reaper.kill('SIGKILL');
    },
  };
}
