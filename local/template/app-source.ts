import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { TemplateError } from './emulations.js';

/** Where the cloud assembly comes from: a folder already synthesized, or a command that synthesizes one. */
export type AppSource = { kind: 'assembly'; dir: string } | { kind: 'command'; app: string; build?: string };

interface CdkJson {
  app?: string;
  build?: string;
  context?: Record<string, unknown>;
}

/**
 * What `--app` means, as the CDK CLI reads it: a folder is a cloud assembly (cdk.out), anything
 * else a command. Without it, the `app` (and `build`) of cdk.json in `cwd`, so what runs is the
 * code as it is now; with no cdk.json, ./cdk.out.
 */
export function appSource(app: string | undefined, cwd: string): AppSource {
  if (app) {
    const path = isAbsolute(app) ? app : resolve(cwd, app);
    if (existsSync(path) && statSync(path).isDirectory()) return { kind: 'assembly', dir: path };
    if (!/\s/.test(app) && !existsSync(path))
      throw new TemplateError(
        `--app ${app}: there is no such folder (or program) in ${cwd}: synthesize the app first (npx cdk synth), or pass the synth command (--app "npx tsx infra/app.ts").`,
      );
    return { kind: 'command', app };
  }
  const cdkJson = readCdkJson(cwd);
  if (cdkJson?.app) return { kind: 'command', app: cdkJson.app, build: cdkJson.build };
  if (existsSync(join(cwd, 'cdk.out', 'manifest.json'))) return { kind: 'assembly', dir: join(cwd, 'cdk.out') };
  throw new TemplateError(
    `${cwd} has no cdk.json and no cdk.out: run txonce local in your CDK app's folder, or pass --app <cdk.out folder or synth command>.`,
  );
}

/**
 * Synthesizes into `outdir` as `cdk synth` does: cdk.json's `build` first, then the app with
 * CDK_OUTDIR and CDK_CONTEXT_JSON (cdk.json's and cdk.context.json's context, then `context`).
 * Throws a TemplateError with the command's output if either fails.
 */
export function synthesize(
  source: Extract<AppSource, { kind: 'command' }>,
  options: { cwd: string; outdir: string; context?: Record<string, unknown> },
): void {
  const contextFile = join(options.cwd, 'cdk.context.json');
  const context = {
    ...readCdkJson(options.cwd)?.context,
    ...(existsSync(contextFile) ? JSON.parse(readFileSync(contextFile, 'utf8')) : {}),
    ...options.context,
  };
  const run = (command: string, what: string) => {
    const result = spawnSync(command, {
      cwd: options.cwd,
      shell: true,
      encoding: 'utf8',
      env: { ...process.env, CDK_OUTDIR: options.outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
    });
    if (result.status !== 0)
      throw new TemplateError(`${what} (${command}) failed:\n${`${result.stdout ?? ''}${result.stderr ?? ''}`.trim()}`);
  };
  if (source.build) run(source.build, "cdk.json's build");
  run(source.app, 'The synth command');
}

function readCdkJson(cwd: string): CdkJson | undefined {
  const file = join(cwd, 'cdk.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CdkJson;
  } catch (error) {
    throw new TemplateError(`${file} is not valid JSON (${(error as Error).message}): fix it, or pass --app.`);
  }
}
