import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `npm pack`, exactly as a release would run it: `prepack` builds dist/ (library, types, CLI,
 * prebuilt functions) and the tarball holds what `files` names. Returns the tarball's path.
 */
export function packTxonce(): string {
  const destination = mkdtempSync(join(tmpdir(), 'txonce-pack-'));
  const result = spawnSync('npm', ['pack', '--pack-destination', destination], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.status !== 0) throw new Error(`npm pack failed:\n${result.stdout}\n${result.stderr}`);
  const [tarball] = readdirSync(destination).filter((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball:\n${result.stdout}`);
  return join(destination, tarball);
}
