import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { median } from './stats.js';

const here = fileURLToPath(new URL('.', import.meta.url));

export interface ColdStart {
  bundleBytes: number;
  initMs: number;
}

/**
 * Bundles an equivalent consumer on each library as `cdk deploy` would (esbuild, minified, ESM,
 * the AWS SDK left to the runtime), then times importing it in fresh Node processes,
 * alternating the two so machine noise falls on both.
 */
export async function coldStarts(processes: number): Promise<Record<'txonce' | 'peer', ColdStart>> {
  const outdir = join(here, '.build');
  mkdirSync(outdir, { recursive: true });
  const files = { txonce: join(outdir, 'txonce-consumer.mjs'), peer: join(outdir, 'peer-consumer.mjs') };
  for (const [name, outfile] of Object.entries(files)) {
    await build({
      entryPoints: [join(here, 'cold', `${name}-consumer.ts`)],
      outfile,
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['@aws-sdk/*'],
      banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
      logLevel: 'silent',
    });
  }
  const times: Record<'txonce' | 'peer', number[]> = { txonce: [], peer: [] };
  for (let index = 0; index < processes; index++) {
    for (const name of (index % 2 === 0 ? ['txonce', 'peer'] : ['peer', 'txonce']) as ('txonce' | 'peer')[]) {
      times[name].push(importTime(files[name]));
    }
  }
  return {
    txonce: { bundleBytes: statSync(files.txonce).size, initMs: median(times.txonce) },
    peer: { bundleBytes: statSync(files.peer).size, initMs: median(times.peer) },
  };
}

function importTime(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  if (result.status !== 0) throw new Error(`importing ${file} failed: ${result.stderr}`);
  return Number(result.stdout.trim());
}
