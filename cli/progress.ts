import { SingleBar } from 'cli-progress';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * Progress on stderr: a bar in a terminal; in a file or a pipe, where a bar prints nothing
 * useful, a plain line at the first step and then at most every `everyMs`.
 */
export function progress(label: string, unit: string, everyMs = 5000): Progress {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: `${label} [{bar}] {value}/{total} ${unit}`,
      hideCursor: true,
      stream: process.stderr,
    });
    let started = false;
    return {
      update(done, total) {
        if (!started) bar.start(Math.max(total, done), 0);
        started = true;
        bar.setTotal(Math.max(total, done));
        bar.update(done);
      },
      stop: () => started && bar.stop(),
    };
  }
  let lastLine = 0;
  let last: [number, number] | undefined;
  let printed: [number, number] | undefined;
  const print = () => {
    if (!last || (printed && printed[0] === last[0] && printed[1] === last[1])) return;
    printed = last;
    lastLine = Date.now();
    process.stderr.write(`${label}: ${last[0]}/${Math.max(last[0], last[1])} ${unit}\n`);
  };
  return {
    update(done, total) {
      last = [done, total];
      if (Date.now() - lastLine >= everyMs) print();
    },
    stop: print,
  };
}
