import { spawn } from 'node:child_process';
import type { RunningServer } from './dynamodb-local.js';
import {
  captureOutput,
  exitOf,
  freePort,
  killWithParent,
  refuseBusyPort,
  stopProcess,
  waitUntilReady,
} from './processes.js';

/**
 * Starts moto server, which speaks the real SQS API (redrive to a DLQ after maxReceiveCount
 * included), and resolves once it answers. Needs `moto_server` on the PATH:
 * `pip install "moto[server]"`.
 */
export async function startMotoServer(options: { port?: number } = {}): Promise<RunningServer> {
  if (options.port) await refuseBusyPort(options.port, 'SQS_PORT', 'moto server');
  const port = options.port ?? (await freePort());
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'pipe', detached: true });
  const spawnFailure = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? new Error('moto_server is not installed: pip install "moto[server]"', { cause: error })
          : error,
      ),
    ),
  );
  killWithParent(child);
  const output = captureOutput(child);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      spawnFailure,
      waitUntilReady('moto_server', child, output, async () => {
        const response = await fetch(`${endpoint}/moto-api/`);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
      }),
    ]);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return { endpoint, port, pid: child.pid, exited: exitOf(child), stop: () => stopProcess(child) };
}
