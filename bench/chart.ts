import { percentile } from './stats.js';

const COLORS: Record<string, string> = { txonce: '#1f77b4', peer: '#ff7f0e', plain: '#7f7f7f' };

/**
 * An SVG with two panels: first-delivery latency distributions (box p25–p75, median line,
 * whiskers p5–p99) and throughput by concurrency (grouped bars).
 */
export function chartSvg(
  latency: Record<string, number[]>,
  throughput: Record<string, Record<string, number>>,
): string {
  const width = 900;
  const parts: string[] = [];
  const text = (x: number, y: number, content: string, extra = '') =>
    parts.push(`<text x="${x}" y="${y}" font-family="sans-serif" font-size="12" ${extra}>${content}</text>`);

  // panel 1: latency
  const names = Object.keys(latency);
  const maxLatency = Math.max(...names.map((name) => percentile(latency[name], 99))) * 1.1;
  const x = (ms: number) => 120 + (ms / maxLatency) * 600; // room on the right for the labels
  text(
    20,
    24,
    'First-delivery latency per event (ms): box p25–p75, line = median, whiskers p5–p99',
    'font-weight="bold"',
  );
  names.forEach((name, index) => {
    const y = 50 + index * 40;
    const [p5, p25, p50, p75, p99] = [5, 25, 50, 75, 99].map((p) => percentile(latency[name], p));
    text(20, y + 14, name);
    parts.push(`<line x1="${x(p5)}" x2="${x(p99)}" y1="${y + 10}" y2="${y + 10}" stroke="#333"/>`);
    parts.push(
      `<rect x="${x(p25)}" y="${y}" width="${Math.max(1, x(p75) - x(p25))}" height="20" fill="${COLORS[name] ?? '#999'}" opacity="0.8"/>`,
    );
    parts.push(`<line x1="${x(p50)}" x2="${x(p50)}" y1="${y - 2}" y2="${y + 22}" stroke="#000" stroke-width="2"/>`);
    text(x(p99) + 6, y + 14, `p50 ${p50.toFixed(1)} · p99 ${p99.toFixed(1)}`);
  });
  const axisY = 50 + names.length * 40;
  for (let tick = 0; tick <= 4; tick++) {
    const ms = (maxLatency * tick) / 4;
    parts.push(`<line x1="${x(ms)}" x2="${x(ms)}" y1="${axisY}" y2="${axisY + 5}" stroke="#333"/>`);
    text(x(ms) - 10, axisY + 18, ms.toFixed(1));
  }

  // panel 2: throughput
  const top = axisY + 60;
  const concurrencies = Object.keys(throughput);
  const contenders = Object.keys(throughput[concurrencies[0]] ?? {});
  const maxRate = Math.max(...concurrencies.flatMap((c) => contenders.map((name) => throughput[c][name]))) * 1.1;
  const chartHeight = 200;
  text(20, top - 16, 'Throughput (events/s) by concurrency', 'font-weight="bold"');
  concurrencies.forEach((concurrency, group) => {
    const groupX = 120 + group * 250;
    contenders.forEach((name, index) => {
      const rate = throughput[concurrency][name];
      const height = (rate / maxRate) * chartHeight;
      const barX = groupX + index * 60;
      parts.push(
        `<rect x="${barX}" y="${top + chartHeight - height}" width="50" height="${height}" fill="${COLORS[name] ?? '#999'}"/>`,
      );
      text(barX, top + chartHeight - height - 4, rate.toFixed(0));
    });
    text(groupX + 40, top + chartHeight + 18, `concurrency ${concurrency}`);
  });
  contenders.forEach((name, index) => {
    parts.push(
      `<rect x="${120 + index * 100}" y="${top + chartHeight + 34}" width="12" height="12" fill="${COLORS[name] ?? '#999'}"/>`,
    );
    text(136 + index * 100, top + chartHeight + 45, name);
  });

  const height = top + chartHeight + 60;
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><title>txonce benchmark: latency distributions and throughput by concurrency</title><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}
