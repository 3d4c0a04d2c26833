import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../support/package.js';
import { documentationFiles } from '../support/readme.js';

// Every relative link and #anchor in README.md and docs/ resolves: the file exists, and an
// anchor names a heading of the target as GitHub renders it. External links are not fetched.
// And in the installed package too: node_modules/txonce/README.md links to the guides, which
// ship beside it.

/** Markdown text without its fenced code blocks (links in code are code). */
const prose = (text: string) => text.replace(/^```[\s\S]*?^```$/gm, (block) => block.replace(/[^\n]/g, ''));

/** GitHub's heading anchors: lower case, punctuation dropped, each space a hyphen, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = (heading as string)
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

const links = (markdown: string) =>
  [...prose(markdown).matchAll(/\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(
    ([, target]) => target as string,
  );

describe('documentation links', () => {
  const files = documentationFiles();

  it.each(files)('%s: every relative link and anchor resolves', (file) => {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    const broken: string[] = [];
    for (const target of links(text)) {
      if (/^[a-z][\w+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path = '', anchor] = target.split('#');
      const resolved = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
      if (!existsSync(join(repoRoot, resolved))) {
        broken.push(`${target} (no file ${resolved})`);
        continue;
      }
      if (anchor === undefined) continue;
      if (statSync(join(repoRoot, resolved)).isDirectory() || !resolved.endsWith('.md')) {
        broken.push(`${target} (an anchor into something that is not a markdown file)`);
        continue;
      }
      if (!anchorsOf(readFileSync(join(repoRoot, resolved), 'utf8')).has(anchor)) {
        broken.push(`${target} (no heading #${anchor} in ${resolved})`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('documentation links in the installed package', () => {
  it('every relative link of a shipped markdown file names a file the package ships', () => {
    const listing = spawnSync('tar', ['-tzf', inject('txonceTarball')], { encoding: 'utf8' });
    const shipped = new Set(
      listing.stdout
        .split('\n')
        .filter(Boolean)
        .map((name) => name.replace(/^package\//, '')),
    );
    expect(shipped).toContain('README.md');
    expect(shipped).toContain('docs/getting-started.md');
    const broken: string[] = [];
    for (const file of [...shipped].filter((name) => name.endsWith('.md'))) {
      for (const target of links(readFileSync(join(repoRoot, file), 'utf8'))) {
        if (/^[a-z][\w+.-]*:/i.test(target)) continue;
        const [path = ''] = target.split('#');
        const resolved = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
        if (!shipped.has(resolved)) broken.push(`${file}: ${target} (not shipped: ${resolved})`);
      }
    }
    expect(broken).toEqual([]);
  });
});
