import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './package.js';

export interface ReadmeBlock {
  language: string;
  /** the file a block is, from its info string: ```ts title="src/store.ts" */
  title: string | undefined;
  /** the rest of the info string after the language: `title="…"`, `nocheck <reason>` */
  info: string;
  code: string;
  /** 1-based line of the opening fence */
  line: number;
}

const FENCE = /^```(\w*)([^\n]*)\n([\s\S]*?)^```$/gm;

function blocksOf(text: string, offsetLines = 0): ReadmeBlock[] {
  return [...text.matchAll(FENCE)].map((match) => {
    const [, language, info, code] = match;
    return {
      language: language ?? '',
      title: /title="([^"]+)"/.exec(info ?? '')?.[1],
      info: (info ?? '').trim(),
      code: code ?? '',
      line: offsetLines + text.slice(0, match.index).split('\n').length,
    };
  });
}

/** The fenced code blocks of a markdown file (path from the repository root), in order. */
export function markdownBlocks(file: string): ReadmeBlock[] {
  return blocksOf(readFileSync(join(repoRoot, file), 'utf8'));
}

/** The fenced code blocks of one `## ` section of a markdown file (default the README), in order. */
export function readmeSection(heading: string, file = 'README.md'): ReadmeBlock[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`${file} has no section "## ${heading}"`);
  const next = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, next < 0 ? undefined : next);
  return blocksOf(section, text.slice(0, start).split('\n').length - 1);
}

/** README.md and every markdown file under docs/ except the generated API reference. */
export function documentationFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(repoRoot, dir), { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return path === join('docs', 'api') ? [] : walk(path);
      return entry.name.endsWith('.md') ? [path] : [];
    });
  return ['README.md', ...walk('docs')].map((file) => relative('.', file));
}
