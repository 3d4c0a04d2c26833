import { EXIT } from './exit-codes.js';

/**
 * Ctrl-C (or SIGTERM) as a long command wants it: the first asks it to stop after the current
 * `unit` (the signal aborts), the second quits at once. `release()` takes the handlers off.
 */
export function stopOnInterrupt(unit: string): { signal: AbortSignal; release: () => void } {
  const stop = new AbortController();
  const interrupt = () => {
    if (stop.signal.aborted) process.exit(EXIT.interrupted);
    process.stderr.write(`\nstopping after the current ${unit} (Ctrl-C again to quit at once)...\n`);
    stop.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  return {
    signal: stop.signal,
    release: () => {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    },
  };
}
