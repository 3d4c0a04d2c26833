import { afterEach, beforeEach, vi } from 'vitest';

/**
 * Captures what Powertools Metrics prints (EMF lines on stdout) during each test of the file,
 * and sums one metric of one source from it.
 */
export function captureEmf(): { count: (metric: string, source: string) => number } {
  let output: string[] = [];
  beforeEach(() => {
    output = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      output.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return {
    count: (metric, source) =>
      output
        .flatMap((chunk) => chunk.split('\n'))
        .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
        .map((line) => JSON.parse(line))
        .filter((line) => line.source === source && typeof line[metric] === 'number')
        .reduce((sum, line) => sum + line[metric], 0),
  };
}
