import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';
import { CHECKED_FOLDERS, DEPENDENCY_RULES } from '../../scripts/dependency-rules.js';
import { repoRoot } from '../support/package.js';

// The layout's directions, kept by dependency-cruiser: no import circle, lib/ below everything,
// local/ and cli/ apart (ops/ is what they share), infra/ and functions/ apart; inside lib/, shared/
// below all, the store below the handlers and the batch handlers, the webhooks apart from all three.

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

  it("catch lib/'s folders importing against their order", async () => {
    const tree = mkdtempSync(join(tmpdir(), 'txonce-deps-'));
    const file = (path: string, text: string) => {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), text);
    };
    try {
      file('lib/shared/errors.ts', "import { run } from '../store/run.js';\nexport const error = run;\n");
      file('lib/store/run.ts', "import { batch } from '../batch/sqs.js';\nexport const run = batch;\n");
      file('lib/batch/sqs.ts', "import { wrap } from '../handlers/wrap.js';\nexport const batch = wrap;\n");
      file('lib/handlers/wrap.ts', "import { verify } from '../webhooks/verify.js';\nexport const wrap = verify;\n");
      file('lib/webhooks/verify.ts', "import { key } from '../store/key.js';\nexport const verify = key;\n");
      file('lib/store/key.ts', 'export const key = 1;\n');

      expect((await violations(tree, ['lib'])).sort()).toEqual([
        'lib-batch-not-handlers-or-webhooks: lib/batch/sqs.ts -> lib/handlers/wrap.ts',
        'lib-handlers-not-batch-or-webhooks: lib/handlers/wrap.ts -> lib/webhooks/verify.ts',
        'lib-shared-below-all: lib/shared/errors.ts -> lib/store/run.ts',
        'lib-store-below-its-users: lib/store/run.ts -> lib/batch/sqs.ts',
        'lib-webhooks-apart: lib/webhooks/verify.ts -> lib/store/key.ts',
      ]);
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  }, 120_000);
});
