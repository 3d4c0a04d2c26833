import type { ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** A port nobody listens on right now, on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Keeps the last few KB a child printed, for the error message when it fails to start. */
export function captureOutput(child: ChildProcess): () => string {
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => output;
}

/** Kills the child if this process exits without stopping it (a crashed test run, Ctrl-C). */
export function killWithParent(child: ChildProcess): void {
  const kill = () => signal(child, 'SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
}

/**
 * Polls `ready` until it resolves, the child exits, or `timeoutMs` passes. The JVM of DynamoDB
 * Local answers in about 2 s on an idle machine but took over 30 s on a loaded 2-core one.
 */
export async function waitUntilReady(
  name: string,
  child: ChildProcess,
  output: () => string,
  ready: () => Promise<unknown>,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output()}`);
    try {
      await ready();
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`${name} did not answer in ${timeoutMs / 1000} s:\n${output()}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * SIGTERM, then SIGKILL if it has not exited in 5 s; resolves once it is gone. A child started
 * with detached: true leads its own process group, and the whole group gets the signals.
 */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => signal(child, 'SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    signal(child, 'SIGTERM');
  });
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, name);
  } catch {
    child.kill(name); // not a group leader
  }
}

/** Resolves, once the child has ended, with how it ended, in words. */
export function exitOf(child: ChildProcess): Promise<string> {
  const describe = () =>
    child.signalCode ? `was killed by ${child.signalCode}` : `exited with status ${child.exitCode}`;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(describe());
  return new Promise((resolve) => child.once('exit', () => resolve(describe())));
}

/** True when something already accepts connections on the port (of the loopback interface, unless `host` says). */
export function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000);
    const done = (answers: boolean) => {
      socket.destroy();
      resolve(answers);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** A port somebody else holds: attaching to it would silently use a stranger's (or a stale) server. */
export async function refuseBusyPort(port: number, setting: string, what: string): Promise<void> {
  if (!(await portAnswers(port))) return;
  throw new PortInUseError(
    `Port ${port} (${setting}) already answers: something listens there, perhaps a ${what} left running by an earlier npm start that was killed. Find it with \`lsof -i :${port}\` (or \`ss -ltnp 'sport = :${port}'\`) and stop it, or choose another ${setting}.`,
  );
}

export class PortInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortInUseError';
  }
}
