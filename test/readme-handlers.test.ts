import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/package.js';
import { readmeSection } from './support/readme.js';

// The README's "Handlers beyond Middy and SQS" snippets compile, as a user's files would,
// against the sources: `txonce` is lib/, `txonce/cdk` is infra/.

describe('README: Handlers beyond Middy and SQS', () => {
  it('type-checks every ts block of the section, with the Quick start store beside them', () => {
    const blocks = readmeSection('Handlers beyond Middy and SQS').filter((block) => block.language === 'ts');
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const store = readmeSection('Quick start').find((block) => block.title === 'src/store.ts');
    expect(store).toBeDefined();

    // inside the repository, so the snippets resolve its node_modules (zod, @middy/core, aws-cdk-lib)
    const app = mkdtempSync(join(repoRoot, '.readme-check-'));
    try {
      writeFileSync(join(app, 'package.json'), JSON.stringify({ type: 'module', private: true }));
      for (const block of [store, ...blocks]) {
        expect(block?.title, `a ts block without title="src/…":\n${block?.code}`).toMatch(/^src\/.+\.ts$/);
        const file = join(app, block?.title as string);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, block?.code as string);
      }
      writeFileSync(
        join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2022'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            skipLibCheck: true,
            noEmit: true,
            types: ['node'],
            paths: { txonce: ['../lib/index.ts'], 'txonce/cdk': ['../infra/index.ts'] },
          },
          include: ['src'],
        }),
      );
      const tsc = spawnSync(join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', app], {
        encoding: 'utf8',
        timeout: 240_000,
      });
      expect(tsc.status, `${tsc.stdout}\n${tsc.stderr}`).toBe(0);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  }, 240_000);
});
