import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The functions txonce deploys itself, bundled into the package at pack time (tsup.config.ts). */
export type PrebuiltFunction = 'ingest' | 'publisher' | 'consumer';

/**
 * The folder that holds a prebuilt function's `index.mjs`: `dist/functions/<name>` beside this
 * module when it runs from the package (dist/cdk.js, dist/cdk.cjs), or in the checkout's dist/
 * when it runs from the sources (infra/).
 */
export function prebuiltFunctionDir(name: PrebuiltFunction): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'functions', name), join(here, '..', 'dist', 'functions', name)];
  const dir = candidates.find((candidate) => existsSync(join(candidate, 'index.mjs')));
  if (!dir) {
    throw new Error(
      `txonce: the prebuilt ${name} function is missing (looked in ${candidates.join(' and ')}). ` +
        'An installed package ships it; in a checkout of txonce, run `npm run build` first.',
    );
  }
  return dir;
}
