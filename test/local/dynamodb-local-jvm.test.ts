import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { QUICK_START_JVM_OPTIONS, startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { portAnswers } from '../../local/processes.js';

// DynamoDB Local gets its JVM options through the java launcher's JDK_JAVA_OPTIONS, set only for
// the spawn: the emulator must see them (and the user's own, which win), this process must not keep them.

afterEach(() => {
  vi.unstubAllEnvs();
});

/** The JDK_JAVA_OPTIONS the emulator's JVM was started with (Linux: its /proc environment). */
function jvmOptionsOf(pid: number | undefined): string | undefined {
  const environment = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  return environment.find((entry) => entry.startsWith('JDK_JAVA_OPTIONS='))?.slice('JDK_JAVA_OPTIONS='.length);
}

describe.skipIf(process.platform !== 'linux')('the JVM options DynamoDB Local starts with', () => {
  it('starts on the quick JIT tier, answers, and leaves this process environment as it was', async () => {
    vi.stubEnv('JDK_JAVA_OPTIONS', undefined);
    const server = await startDynamoDbLocal();
    try {
      expect(jvmOptionsOf(server.pid)).toBe(QUICK_START_JVM_OPTIONS);
      expect(process.env.JDK_JAVA_OPTIONS).toBeUndefined();
    } finally {
      await server.stop();
    }
  });

  it("puts the user's own JDK_JAVA_OPTIONS last, so they win, and gives none with jvmOptions ''", async () => {
    vi.stubEnv('JDK_JAVA_OPTIONS', '-Xmx256m');
    const [quick, plain] = await Promise.all([startDynamoDbLocal(), startDynamoDbLocal({ jvmOptions: '' })]);
    try {
      expect(jvmOptionsOf(quick.pid)).toBe(`${QUICK_START_JVM_OPTIONS} -Xmx256m`);
      expect(jvmOptionsOf(plain.pid)).toBe('-Xmx256m');
      expect(process.env.JDK_JAVA_OPTIONS).toBe('-Xmx256m');
    } finally {
      await Promise.all([quick.stop(), plain.stop()]);
    }
  });
});

/** An IPv4 address of this machine that is not loopback, if it has one. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((address) => address?.family === 'IPv4' && !address.internal)?.address;

describe.skipIf(!outsideAddress)('DynamoDB Local, reachable from this machine only', () => {
  it("answers on 127.0.0.1 and refuses connections to the machine's other addresses", async () => {
    const server = await startDynamoDbLocal();
    try {
      expect(await portAnswers(server.port)).toBe(true);
      expect(await portAnswers(server.port, outsideAddress)).toBe(false);
    } finally {
      await server.stop();
    }
  });
});
