import type { ContentionResult } from './contention.js';
import type { CostResults } from './cost.js';

const COLORS: Record<string, string> = {
  txonce: '#1f77b4',
  'txonce + precheck': '#17becf',
  'txonce (default)': '#2ca02c',
  'peer, plain write': '#ff7f0e',
  'peer, transactional write': '#d62728',
  peer: '#ff7f0e',
};

interface Bar {
  name: string;
  /** stacked segments, bottom first: [value, opacity] */
  segments: [number, number][];
  label: string;
}

/**
 * An SVG in the style of results.svg: dollars per million events by duplicate share (two-item
 * and one-item business write; DynamoDB solid, Lambda pale on top), then hot-key throughput
 * with TransactionConflict injected.
 */
export function costChartSvg(cost: CostResults, contention: ContentionResult[]): string {
  const width = 900;
  const parts: string[] = [];
  const text = (x: number, y: number, content: string, extra = '', size = 12) =>
    parts.push(`<text x="${x}" y="${y}" font-family="sans-serif" font-size="${size}" ${extra}>${content}</text>`);

  const panel = (top: number, title: string, groups: { label: string; bars: Bar[] }[]) => {
    const chartHeight = 180;
    const max = Math.max(...groups.flatMap((g) => g.bars.map((b) => b.segments.reduce((s, [v]) => s + v, 0)))) * 1.15;
    text(20, top - 16, title, 'font-weight="bold"');
    const groupWidth = 760 / groups.length;
    groups.forEach((group, g) => {
      const barWidth = Math.min(50, (groupWidth - 30) / group.bars.length);
      const groupX = 120 + g * groupWidth;
      group.bars.forEach((bar, index) => {
        const x = groupX + index * (barWidth + 6);
        let y = top + chartHeight;
        for (const [value, opacity] of bar.segments) {
          const height = (value / max) * chartHeight;
          y -= height;
          parts.push(
            `<rect x="${x}" y="${y}" width="${barWidth}" height="${height}" fill="${COLORS[bar.name] ?? '#999'}" opacity="${opacity}"/>`,
          );
        }
        text(x, y - 4, bar.label, '', 10);
      });
      text(groupX, top + chartHeight + 18, group.label);
    });
    return top + chartHeight + 40;
  };

  const legend = (y: number, names: string[]) => {
    names.forEach((name, index) => {
      parts.push(`<rect x="${120 + index * 190}" y="${y}" width="12" height="12" fill="${COLORS[name] ?? '#999'}"/>`);
      text(136 + index * 190, y + 11, name);
    });
    return y + 40;
  };

  let y = 50;
  const names = [...new Set(cost.variants.map((v) => v.name))];
  for (const items of [2, 1] as const) {
    const variants = cost.variants.filter((v) => v.items === items);
    const shares = variants[0]?.perMillion.map((row) => row.share) ?? [];
    y = panel(
      y,
      `Dollars per million events, ${items === 2 ? 'two-item' : 'one-item'} business write (DynamoDB solid, Lambda 512 MB pale)`,
      shares.map((share, s) => ({
        label: `${share * 100}% duplicates`,
        bars: variants.map((v) => ({
          name: v.name,
          segments: [
            [v.perMillion[s].dynamo, 0.9],
            [v.perMillion[s].lambda, 0.35],
          ],
          label: `$${v.perMillion[s].total.toFixed(2)}`,
        })),
      })),
    );
    y += 30;
  }
  y = legend(y - 30, names) + 30;

  const cells = [...new Set(contention.map((c) => `${c.concurrency}/${c.conflictRate}`))];
  y = panel(
    y,
    'Hot key: events/s, all events on one customer, TransactionConflict injected',
    cells.map((cell) => {
      const rows = contention.filter((c) => `${c.concurrency}/${c.conflictRate}` === cell);
      return {
        label: `c=${rows[0].concurrency}, ${rows[0].conflictRate * 100}%`,
        bars: rows.map((row) => ({
          name: row.contender,
          segments: [[row.throughput, 0.9]],
          label: row.throughput.toFixed(0),
        })),
      };
    }),
  );
  y = legend(y, ['txonce', 'peer']);

  const height = y;
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><title>txonce benchmark: cost per million events and hot-key throughput</title><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}
