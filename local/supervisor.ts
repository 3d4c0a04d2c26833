import type { RunningServer } from './dynamodb-local.js';

export interface Emulator {
  name: string;
  /** starts it (again) on its port */
  launch(): Promise<RunningServer>;
  /** resolves if it answers */
  healthy(endpoint: string): Promise<void>;
}

export interface SupervisorOptions {
  /** told loudly: what went down, and what is being done */
  onNotice: (level: 'warn' | 'error' | 'info', message: string) => void;
  /** after a restart: re-create what the emulator held (queues, tables) and re-deliver */
  onRestarted: (name: string, server: RunningServer) => Promise<void>;
  /** recovery failed: the stack cannot go on */
  onFatal: (message: string) => void;
  /** Seconds between health checks. Default 2. */
  intervalMs?: number;
  /** Failed health checks in a row before an emulator counts as down. Default 3. */
  failuresAllowed?: number;
  /** Restarts allowed per emulator within 5 minutes before giving up. Default 3. */
  maxRestarts?: number;
}

interface Watched {
  emulator: Emulator;
  server: RunningServer;
  failures: number;
  restarts: number[];
  recovering: boolean;
}

/**
 * Watches the emulators: an exit, or a health check failed several times in a row, is said
 * loudly, and the emulator is restarted on its port and `onRestarted` re-creates its queues or
 * tables; if it cannot be restarted (or keeps dying), `onFatal`.
 */
export class Supervisor {
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: SupervisorOptions) {}

  watch(emulator: Emulator, server: RunningServer): void {
    const entry: Watched = { emulator, server, failures: 0, restarts: [], recovering: false };
    this.watched.set(emulator.name, entry);
    this.followExit(entry);
    this.timer ??= setInterval(() => void this.check(), this.options.intervalMs ?? 2000);
  }

  /** True from the moment an emulator is seen down until what it held is back (`onRestarted` done). */
  recovering(name: string): boolean {
    return this.watched.get(name)?.recovering ?? false;
  }

  current(name: string): RunningServer | undefined {
    return this.watched.get(name)?.server;
  }

  /** Ends supervision (the stack is stopping): exits from here on are expected. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private followExit(entry: Watched): void {
    const server = entry.server;
    server.exited.then((how) => {
      if (!this.stopped && entry.server === server) void this.recover(entry, `${entry.emulator.name} ${how}`);
    });
  }

  private async check(): Promise<void> {
    for (const entry of this.watched.values()) {
      if (this.stopped || entry.recovering) continue;
      try {
        await entry.emulator.healthy(entry.server.endpoint);
        entry.failures = 0;
      } catch (error) {
        entry.failures++;
        if (entry.failures >= (this.options.failuresAllowed ?? 3)) {
          void this.recover(
            entry,
            `${entry.emulator.name} failed ${entry.failures} health checks in a row (${(error as Error).message})`,
          );
        }
      }
    }
  }

  private async recover(entry: Watched, why: string): Promise<void> {
    if (entry.recovering || this.stopped) return;
    entry.recovering = true;
    const { name } = entry.emulator;
    const now = Date.now();
    entry.restarts = entry.restarts.filter((at) => now - at < 5 * 60_000);
    if (entry.restarts.length >= (this.options.maxRestarts ?? 3)) {
      this.options.onFatal(
        `${why}; it was restarted ${entry.restarts.length} times in 5 minutes, so the stack gives up.`,
      );
      return;
    }
    entry.restarts.push(now);
    this.options.onNotice('error', `${why}. Restarting it on port ${entry.server.port}...`);
    try {
      await entry.server.stop(); // a hung one is ended first
      if (this.stopped) return;
      entry.server = await entry.emulator.launch();
      entry.failures = 0;
      this.followExit(entry);
      await this.options.onRestarted(name, entry.server);
      this.options.onNotice('info', `${name} is back (pid ${entry.server.pid}).`);
    } catch (error) {
      if (!this.stopped) this.options.onFatal(`${name} could not be restarted: ${(error as Error).message}`);
      return;
    } finally {
      entry.recovering = false;
    }
  }
}
