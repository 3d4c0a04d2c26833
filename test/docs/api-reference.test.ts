import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/package.js';

// `npm run docs` builds the API reference (TypeDoc, typedoc.json) from the TSDoc of the two
// public entry points. It treats every warning as an error: an export without a summary, a
// {@link} that resolves to nothing, a type referenced but not exported. On top, every export
// must show an @example.

interface Comment {
  summary: { text: string }[];
  blockTags?: { tag: string }[];
}
interface Reflection {
  name: string;
  comment?: Comment;
  signatures?: { comment?: Comment }[];
  children?: Reflection[];
}

describe('the API reference', () => {
  it('builds without warnings, and every public export has a summary and an example', () => {
    const build = spawnSync('npm', ['run', 'docs', '--silent'], { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 });
    expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0);
    expect(`${build.stdout}${build.stderr}`).not.toMatch(/\[warning\]|\[error\]/);

    const project: Reflection = JSON.parse(readFileSync(join(repoRoot, 'docs/api/api.json'), 'utf8'));
    const modules = project.children ?? [];
    expect(modules.map((module) => module.name).sort()).toEqual(['txonce', 'txonce/cdk']);
    const missing: string[] = [];
    let exports = 0;
    for (const module of modules) {
      for (const item of module.children ?? []) {
        exports++;
        const comment = item.comment ?? item.signatures?.find((signature) => signature.comment)?.comment;
        const summary = comment?.summary
          .map((part) => part.text)
          .join('')
          .trim();
        if (!summary) missing.push(`${module.name}: ${item.name} has no summary`);
        if (!comment?.blockTags?.some((tag) => tag.tag === '@example')) {
          missing.push(`${module.name}: ${item.name} has no @example`);
        }
      }
    }
    expect(exports).toBeGreaterThan(60);
    expect(missing).toEqual([]);
  }, 180_000);
});
