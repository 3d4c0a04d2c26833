import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeMajorsTested } from '../support/node-majors.js';
import {
  createOutsideApp,
  type OutsideApp,
  output,
  projectCommands,
  runProjectCommands,
  writeQuickStartFiles,
} from '../support/outside-app.js';

// The getting-started app as a new user gets it today: the README's install lines as printed,
// without versions, so npm resolves the newest aws-cdk-lib, constructs, cdk-nag, TypeScript,
// @types/node and Middy the registry has (outside-app.test.ts pins them to this repository's).
//
// Online, `--prefer-online` asks the registry for every package, so a stale cache cannot hide a
// new release. Offline (the registry unreachable) the install is retried with `--offline`, from
// npm's cache alone: the newest versions the cache holds, which may be older than the latest;
// the test then says so and skips only the check that the versions are the registry's latest.
// With nothing cached it fails with npm's message.

let outside: OutsideApp;
let offline = false;
/** package → the version the README's unpinned lines installed */
const installed = new Map<string, string>();

const currentNodeMajor = Number(process.versions.node.split('.')[0]);

/** The lowest Node.js major an engines range admits ("^22.12.0 || >=24" → 22); 0 without one. */
function nodeFloor(range: string | undefined): number {
  if (!range) return 0;
  return Math.min(...range.split('||').map((part) => Number(/\d+/.exec(part)?.[0] ?? 0)));
}

const NETWORK_ERROR = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH)\b/;

beforeAll(() => {
  outside = createOutsideApp();
  const commands = projectCommands(outside.blocks);
  expect(commands.filter((line) => line.command === 'install').length).toBeGreaterThanOrEqual(3);
  runProjectCommands(outside, commands, (words) => {
    const args = words.map((word) => (word.endsWith('.tgz') ? inject('txonceTarball') : word));
    const npmInstall = (mode: string) => outside.run('npm', ['install', mode, '--no-audit', '--no-fund', ...args]);
    let result = npmInstall('--prefer-online');
    if (result.status !== 0 && NETWORK_ERROR.test(output(result))) {
      offline = true;
      console.warn(`The npm registry is unreachable: installing from npm's cache alone: ${words.join(' ')}`);
      result = npmInstall('--offline');
    }
    if (result.status === 0) {
      for (const name of words.filter((word) => !word.startsWith('-') && !word.endsWith('.tgz')))
        installed.set(name, manifest(name).version);
    }
    return result;
  });
  writeQuickStartFiles(outside);
  console.info(`unpinned install: ${[...installed].map(([name, version]) => `${name}@${version}`).join(' ')}`);
}, 400_000);

afterAll(() => {
  if (outside) rmSync(outside.dir, { recursive: true, force: true });
});

function manifest(name: string): { version: string } {
  return JSON.parse(readFileSync(join(outside.dir, 'node_modules', name, 'package.json'), 'utf8'));
}

describe("the getting-started app on the newest versions of txonce's peers and tools", () => {
  it("installs the registry's latest version of every package the README names, or the newest this Node.js may run", async ({
    skip,
  }) => {
    expect([...installed.keys()]).toEqual(
      expect.arrayContaining(['aws-cdk-lib', 'constructs', 'cdk-nag', 'typescript', '@types/node', '@middy/core']),
    );
    if (offline) skip("offline: the versions are the newest in npm's cache, not necessarily the registry's latest");
    const views = await Promise.all(
      [...installed.keys()].map((name) =>
        outside.runAsync('npm', ['view', '--json', `${name}@latest`, 'version', 'engines']),
      ),
    );
    for (const [index, [name, version]] of [...installed].entries()) {
      const view = views[index] as Awaited<(typeof views)[number]>;
      expect(view.status, output(view)).toBe(0);
      // one object, or only the version's string when the package declares no engines
      const viewed = JSON.parse(view.stdout);
      const latest: { version: string; engines?: { node?: string } } =
        typeof viewed === 'string' ? { version: viewed } : viewed;
      // npm installs an older release when the latest's engines exclude this Node.js (Middy 7 on Node.js 20)
      if (version !== latest.version && nodeFloor(latest.engines?.node) > currentNodeMajor) continue;
      expect(`${name}@${version}`).toBe(`${name}@${latest.version}`);
    }
  }, 120_000);

  it.concurrent('type-checks every snippet of docs/getting-started.md as printed', async ({ expect }) => {
    const result = await outside.runAsync('npx', ['tsc', '--noEmit', '-p', '.']);
    expect(result.status, output(result)).toBe(0);
  }, 240_000);

  it.concurrent('synthesizes its CDK app under cdk-nag AwsSolutions and Serverless, every function on the newest Node.js runtime, one the bundles are tested on', async ({
    expect,
  }) => {
    // the guide's app checks AwsSolutions; the Serverless pack is added here
    const appFile = join(outside.dir, 'infra/app.ts');
    const source = readFileSync(appFile, 'utf8');
    const checked = source
      .replace(
        "import { AwsSolutionsChecks } from 'cdk-nag';",
        "import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';",
      )
      .replace('new AwsSolutionsChecks(app))', 'new AwsSolutionsChecks(app), new ServerlessChecks(app))');
    expect(checked, 'infra/app.ts no longer adds AwsSolutionsChecks as this test expects').toContain(
      'ServerlessChecks(app)',
    );
    writeFileSync(appFile, checked);

    const result = await outside.runAsync('npx', ['cdk', 'synth', '--no-notices', '-q', '-o', 'cdk.out']);
    expect(result.status, output(result)).toBe(0);

    const newest = outside.run('node', [
      '-e',
      "const { Runtime } = require('aws-cdk-lib/aws-lambda'); console.log(Math.max(...Runtime.ALL.map((r) => Number(/^nodejs(\\d+)\\.x$/.exec(r.name)?.[1] ?? 0))))",
    ]);
    expect(newest.status, output(newest)).toBe(0);
    const newestMajor = Number(newest.stdout.trim());
    const template = JSON.parse(readFileSync(join(outside.dir, 'cdk.out/billing-webhooks.template.json'), 'utf8'));
    const runtimes = Object.values(
      template.Resources as Record<string, { Type: string; Properties: { Runtime?: string } }>,
    )
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((resource) => resource.Properties.Runtime);
    // ingest, the consumer, and aws-cdk-lib's provider for the DLQ's redrive-allow policy
    expect(runtimes).toEqual([`nodejs${newestMajor}.x`, `nodejs${newestMajor}.x`, `nodejs${newestMajor}.x`]);
    expect(
      nodeMajorsTested(),
      `aws-cdk-lib ${installed.get('aws-cdk-lib')} deploys Node.js ${newestMajor} by default: add node${newestMajor} to test/node-majors/package.json so the bundles are tested on it`,
    ).toContain(newestMajor);
  }, 240_000);
});
