import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { TxonceStack, type TxonceStackProps } from '../../infra/stack.js';

/**
 * Synthesizes this repository's stack (as infra/app.ts does, without the cdk-nag checks) into a
 * fresh cloud assembly, in this process: a few seconds, once per test file. The functions are
 * the prebuilt bundles in dist/ (the global setup's `npm pack` built them).
 */
export function synthesizeStack(props: TxonceStackProps = {}, stackName = 'txonce-test'): string {
  const outdir = mkdtempSync(join(tmpdir(), 'txonce-cdk-out-'));
  const { context } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'cdk.json'), 'utf8'));
  const app = new App({ outdir, context });
  new TxonceStack(app, stackName, props);
  app.synth();
  return outdir;
}
