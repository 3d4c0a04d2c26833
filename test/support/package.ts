import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `npm pack`, exactly as a release would run it: `prepack` builds dist/ (library, types, CLI,
 * prebuilt functions) and the tarball holds what `files` names. Resolves to the tarball's path.
 * Asynchronous, so the emulators can start while it builds.
 */
export async function packTxonce(): Promise<string> {
  const destination = mkdtempSync(join(tmpdir(), 'txonce-pack-'));
  const output = await npm(['pack', '--pack-destination', destination]);
  const [tarball] = readdirSync(destination).filter((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball:\n${output}`);
  return join(destination, tarball);
}

/** `npm run build:code`: dist/ without the type declarations (the CLI and the prebuilt functions), in about a second. */
export async function buildTxonceCode(): Promise<void> {
  await npm(['run', 'build:code']);
}

async function npm(args: string[]): Promise<string> {
  const child = spawn('npm', args, { cwd: repoRoot, timeout: 300_000 });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const status = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (status !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${output}`);
  return output;
}
