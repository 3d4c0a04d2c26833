import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The functions txonce deploys itself, bundled into the package at pack time (tsup.config.ts). */
export type PrebuiltFunction = 'ingest' | 'publisher' | 'consumer';

/**
 * The folder that holds a prebuilt function's `index.mjs`: `dist/functions/<name>` of the txonce
 * package this module belongs to, whether it runs from the package (dist/cdk.js or dist/cdk.cjs)
 * or from a checkout's sources (infra/).
 */
export function prebuiltFunctionDir(name: PrebuiltFunction): string {
  const root = packageRoot(dirname(fileURLToPath(import.meta.url)));
  const dir = join(root, 'dist', 'functions', name);
  if (!existsSync(join(dir, 'index.mjs'))) {
    throw new Error(
      `txonce: the prebuilt ${name} function is missing (${join(dir, 'index.mjs')}). ` +
        'An installed package ships it; in a checkout of txonce, run `npm run build` first.',
    );
  }
  return dir;
}

function packageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'txonce') return dir;
    if (dirname(dir) === dir) throw new Error(`txonce: no txonce package.json above ${start}`);
  }
}
