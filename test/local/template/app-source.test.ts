import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appSource, synthesize } from '../../../local/template/app-source.js';
import { TemplateError } from '../../../local/template/emulations.js';

// `txonce local --app` reads as the CDK CLI's --app does: a folder is a cloud assembly, anything
// else a command; without it, cdk.json's app in the current folder, else ./cdk.out.

const scratch = mkdtempSync(join(tmpdir(), 'txonce-app-source-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const folder = (name: string, files: Record<string, string> = {}) => {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
};

describe('where txonce local takes the app from', () => {
  it('a folder given as --app is an assembly; a command is a command', () => {
    const dir = folder('given', { 'out/manifest.json': '{}' });
    expect(appSource('out', dir)).toEqual({ kind: 'assembly', dir: join(dir, 'out') });
    expect(appSource('npx tsx infra/app.ts', dir)).toEqual({ kind: 'command', app: 'npx tsx infra/app.ts' });
  });

  it("without --app: cdk.json's app and build, else ./cdk.out", () => {
    const withCdkJson = folder('cdk-json', { 'cdk.json': '{"app":"npx tsx bin/app.ts","build":"npm run build"}' });
    expect(appSource(undefined, withCdkJson)).toEqual({
      kind: 'command',
      app: 'npx tsx bin/app.ts',
      build: 'npm run build',
    });
    const synthesized = folder('synthesized', { 'cdk.out/manifest.json': '{}' });
    expect(appSource(undefined, synthesized)).toEqual({ kind: 'assembly', dir: join(synthesized, 'cdk.out') });
  });

  it('says what to do when there is nothing to run, or --app names a folder that is not there', () => {
    const empty = folder('empty');
    expect(() => appSource(undefined, empty)).toThrow(TemplateError);
    expect(() => appSource(undefined, empty)).toThrow(
      `${empty} has no cdk.json and no cdk.out: run txonce local in your CDK app's folder, or pass --app <cdk.out folder or synth command>.`,
    );
    expect(() => appSource('cdk.out', empty)).toThrow(/^--app cdk.out: there is no such folder .*npx cdk synth/);
    expect(() => appSource(undefined, folder('bad-json', { 'cdk.json': '{' }))).toThrow(/cdk.json is not valid JSON/);
  });

  it('synthesizes as cdk synth does: build first, then the app with CDK_OUTDIR and the merged context', () => {
    const dir = folder('synth', {
      'cdk.json': JSON.stringify({ app: 'unused', context: { stage: 'dev', scheme: 'github' } }),
      'cdk.context.json': JSON.stringify({ region: 'eu-west-1' }),
    });
    const record = (name: string) =>
      `node -e "require('fs').appendFileSync('${name}', process.env.CDK_OUTDIR + ' ' + process.env.CDK_CONTEXT_JSON + '\\n')"`;
    synthesize(
      { kind: 'command', build: record('build.log'), app: record('app.log') },
      { cwd: dir, outdir: '/tmp/out', context: { scheme: 'stripe' } },
    );
    expect(readFileSync(join(dir, 'build.log'), 'utf8')).toBeTruthy();
    const [outdir, context] = readFileSync(join(dir, 'app.log'), 'utf8').trim().split(' ');
    expect(outdir).toBe('/tmp/out');
    expect(JSON.parse(context)).toEqual({ stage: 'dev', scheme: 'stripe', region: 'eu-west-1' });
    expect(() =>
      synthesize({ kind: 'command', app: 'echo cannot find bin/app.ts >&2; exit 3' }, { cwd: dir, outdir: '/tmp/out' }),
    ).toThrow('The synth command (echo cannot find bin/app.ts >&2; exit 3) failed:\ncannot find bin/app.ts');
  });
});
