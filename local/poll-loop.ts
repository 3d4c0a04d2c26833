import { pause } from './abortable.js';

/** What one turn of a poller does, and what it does when a turn fails or the loop ends. */
export interface PollTurns {
  turn(): Promise<void>;
  /** a turn that threw while the loop still runs; the next turn comes after a short pause */
  failed(error: unknown): void;
  /** after the last turn, before stop() resolves (work still in flight, say) */
  finish?(): Promise<unknown>;
}

/**
 * The start-and-stop life the local event source mappings share: turns one after another until
 * stop(), which aborts `signal` so a long poll, a pause or a retry ends at once.
 */
export class PollLoop {
  private active = false;
  private loop: Promise<void> | undefined;
  private stopping = new AbortController();

  get running(): boolean {
    return this.active;
  }

  /** aborted by stop() */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  start(turns: PollTurns): void {
    this.stopping = new AbortController();
    this.active = true;
    this.loop = this.run(turns);
  }

  /** Ends the loop at once; resolves after the turn in progress and `finish`. */
  async stop(): Promise<void> {
    this.active = false;
    this.stopping.abort();
    await this.loop;
  }

  private async run(turns: PollTurns): Promise<void> {
    while (this.active) {
      try {
        await turns.turn();
      } catch (error) {
        // a turn cut short by stop() is not a failure
        if (!this.active) break;
        turns.failed(error);
        await pause(500, this.signal);
      }
    }
    await turns.finish?.();
  }
}
