import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/package.js';
import { documentationFiles, markdownBlocks, type ReadmeBlock } from '../support/readme.js';

// Every code block of README.md and docs/ is checked as a user would meet it:
// - ts / typescript: type-checked, strict, against the public entry points ('txonce' is lib/index.ts,
//   'txonce/cdk' is infra/index.ts, 'txonce/local' is local/index.ts), in one tsc run. Each markdown file is a project of its own:
//   a block with title="src/x.ts" is that file, an untitled block is a module of its own in src/.
//   Every project has the getting-started guide's src/store.ts unless it writes its own, so
//   snippets can `import { store } from './store.js'`.
//   ```ts nocheck <reason> opts a block out; such blocks are listed below and must give a reason.
// - json: parses.
// - the ```ts @example of every doc comment in lib/ and infra/ (the API reference's examples),
//   type-checked the same way in the same run.
// - sh: every `npm run <script>` names a script of package.json, every txonce command exists.

const files = documentationFiles();
const blocksByFile = new Map(files.map((file) => [file, markdownBlocks(file)]));
const isTs = (block: ReadmeBlock) => block.language === 'ts' || block.language === 'typescript';
const where = (file: string, block: ReadmeBlock) => `${file}:${block.line}`;

/** The ```ts blocks after `@example` in the doc comments of lib/ and infra/ (their subfolders too), named by file and line. */
function tsdocExamples(): { name: string; code: string }[] {
  return ['lib', 'infra'].flatMap((dir) =>
    readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) => {
        const source = readFileSync(join(repoRoot, dir, file), 'utf8');
        return [...source.matchAll(/@example\s*\n\s*\* ```ts\n([\s\S]*?)\n\s*\* ```/g)].map((match) => ({
          name: `${dir}-${file.replace(/\.ts$/, '').replaceAll('/', '-')}-${source.slice(0, match.index).split('\n').length}`,
          code: (match[1] as string).replace(/^\s*\* ?/gm, ''),
        }));
      }),
  );
}

/** The only blocks exempt from type-checking, each with why. */
const NOCHECK_ALLOWED = new Set<string>([]);

describe('documentation code blocks', () => {
  it('finds the guides and their code', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/getting-started.md', 'docs/middleware.md']));
    // the handler wrappers' snippets (formerly the README's "Handlers beyond Middy and SQS") are among them
    expect(blocksByFile.get('docs/middleware.md')?.filter(isTs).length).toBeGreaterThanOrEqual(2);
    expect(blocksByFile.get('docs/sqs-batches.md')?.filter(isTs).length).toBeGreaterThanOrEqual(3);
  });

  it('type-checks every ts block, strict, against txonce and txonce/cdk', () => {
    const store = blocksByFile.get('docs/getting-started.md')?.find((block) => block.title === 'src/store.ts');
    expect(store, 'docs/getting-started.md has a ```ts title="src/store.ts" block').toBeDefined();

    const nochecked: string[] = [];
    // inside the repository, so the snippets resolve its node_modules (zod, @middy/core, aws-cdk-lib)
    const root = mkdtempSync(join(repoRoot, '.docs-check-'));
    try {
      writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module', private: true }));
      let count = 0;
      for (const [file, blocks] of blocksByFile) {
        const project = join(root, file.replace(/[/.]/g, '_'));
        const written = new Set<string>();
        for (const block of blocks.filter(isTs)) {
          if (/^nocheck\b/.test(block.info)) {
            expect(block.info, `${where(file, block)}: nocheck needs a reason`).toMatch(/^nocheck\s+\S/);
            nochecked.push(where(file, block));
            continue;
          }
          const path = block.title ?? `src/snippet-${block.line}.ts`;
          expect(path, `${where(file, block)}: a title names a .ts file`).toMatch(/\.ts$/);
          expect(written.has(path), `${where(file, block)}: a second block titled ${path}`).toBe(false);
          written.add(path);
          // `export {}` makes a snippet without imports a module, so snippets never share a scope
          // (appending it never changes what a snippet means)
          const target = join(project, path);
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, `${block.code}\nexport {};\n`);
          count++;
        }
        if (written.size > 0 && !written.has('src/store.ts')) {
          mkdirSync(join(project, 'src'), { recursive: true });
          writeFileSync(join(project, 'src/store.ts'), store?.code as string);
        }
      }
      expect(count).toBeGreaterThanOrEqual(15);

      // the TSDoc @example of every public export (lib/, infra/), in the same run
      const examples = tsdocExamples();
      expect(examples.length).toBeGreaterThan(60);
      const project = join(root, 'tsdoc-examples');
      mkdirSync(join(project, 'src'), { recursive: true });
      writeFileSync(join(project, 'src/store.ts'), store?.code as string);
      for (const example of examples) {
        writeFileSync(join(project, 'src', `${example.name}.ts`), `${example.code}\nexport {};\n`);
      }
      writeFileSync(
        join(root, 'tsconfig.json'),
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
            paths: {
              txonce: ['../lib/index.ts'],
              'txonce/cdk': ['../infra/index.ts'],
              'txonce/local': ['../local/index.ts'],
            },
          },
          include: ['**/*.ts'],
        }),
      );
      const tsc = spawnSync(join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', root], {
        encoding: 'utf8',
        timeout: 240_000,
      });
      // name the markdown file and line instead of the temporary path
      const report = `${tsc.stdout}\n${tsc.stderr}`.replaceAll(`${root}/`, '');
      expect(tsc.status, report).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    expect(new Set(nochecked), 'blocks opted out of type-checking').toEqual(NOCHECK_ALLOWED);
  }, 240_000);

  it('parses every json block', () => {
    for (const [file, blocks] of blocksByFile) {
      for (const block of blocks.filter((block) => block.language === 'json')) {
        expect(() => JSON.parse(block.code), where(file, block)).not.toThrow();
      }
    }
  });

  it('names only npm scripts and txonce commands that exist in shell blocks', () => {
    const scripts = Object.keys(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts);
    const cli = readFileSync(join(repoRoot, 'cli/index.ts'), 'utf8');
    // .command('name') and the stand-alone ones, .command('local', description, { executableFile })
    const commands = new Set([...cli.matchAll(/\.command\('([\w-]+)'[,)]/g)].map(([, name]) => name));
    let checked = 0;
    for (const [file, blocks] of blocksByFile) {
      for (const block of blocks.filter((block) => block.language === 'sh')) {
        for (const line of block.code.split('\n').map((text) => text.replace(/#.*$/, ''))) {
          for (const [, script] of line.matchAll(/\bnpm run ([\w:-]+)/g)) {
            expect(scripts, `${where(file, block)}: npm run ${script}`).toContain(script);
            checked++;
          }
          for (const [, command] of line.matchAll(/\b(?:npx txonce|npm run txonce --) ([a-z][\w-]*)/g)) {
            expect([...commands], `${where(file, block)}: txonce ${command}`).toContain(command);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
