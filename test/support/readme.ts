import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './package.js';

export interface ReadmeBlock {
  language: string;
  /** the file a block is, from its info string: ```ts title="src/store.ts" */
  title: string | undefined;
  code: string;
}

/** The fenced code blocks of one `## ` section of the README, in order. */
export function readmeSection(heading: string): ReadmeBlock[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no section "## ${heading}"`);
  const next = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/^```(\w*)([^\n]*)\n([\s\S]*?)^```$/gm)].map(([, language, info, code]) => ({
    language: language ?? '',
    title: /title="([^"]+)"/.exec(info ?? '')?.[1],
    code: code ?? '',
  }));
}
