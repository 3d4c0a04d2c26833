import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';
import { CHECKED_FOLDERS, DEPENDENCY_RULES } from '../../scripts/dependency-rules.js';
import { repoRoot } from '../support/package.js';

// The layout's directions, kept by dependency-cruiser: no import circle, lib/ below everything,
// local/ and cli/ apart (ops/ is what they share), infra/ and functions/ apart.

async function violations(baseDir: string, folders: string[]): Promise<string[]> {
  const { output } = await cruise(folders, {
    baseDir,
    validate: true,
    ruleSet: DEPENDENCY_RULES,
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '(^|/)dist/', 'cdk\\.out'] },
  });
  return (output as ICruiseResult).summary.violations.map(
    (violation) =>
      `${violation.rule.name}: ${violation.from} -> ${violation.to}${violation.cycle ? ` (${violation.cycle.map((step) => step.name).join(' -> ')})` : ''}`,
  );
}

describe('the dependency directions', () => {
  it('hold for this repository: no circle, no import against the layout', async () => {
    expect(await violations(repoRoot, CHECKED_FOLDERS)).toEqual([]);
  }, 120_000);

  it('catch a circle, lib importing the CLI, and local and cli importing each other', async () => {
    const tree = mkdtempSync(join(tmpdir(), 'txonce-deps-'));
    const file = (path: string, text: string) => {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), text);
    };
    try {
      file(
        'lib/a.ts',
        "import { b } from './b.js';\nimport { run } from '../cli/run.js';\nexport const a = () => b + run;\n",
      );
      file('lib/b.ts', "import type { a } from './a.js';\nexport const b = 1; export type A = typeof a;\n");
      file('cli/run.ts', "import { start } from '../local/start.js';\nexport const run = start;\n");
      file('local/start.ts', 'export const start = 2;\n');

      const found = await violations(tree, ['lib', 'cli', 'local']);

      expect(found).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^no-circular: lib\/a\.ts -> lib\/b\.ts/),
          'lib-uses-nothing-above-it: lib/a.ts -> cli/run.ts',
          'cli-not-local: cli/run.ts -> local/start.ts',
        ]),
      );
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  }, 120_000);
});
