import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  Code,
  type FunctionProps,
  Function as LambdaFunction,
  LoggingFormat,
  type Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type PrebuiltFunction, prebuiltFunctionDir } from './function-assets.js';

/** Where a function's code comes from. */
export type FunctionSource =
  /** one of txonce's own functions, prebuilt in the package */
  | { prebuilt: PrebuiltFunction }
  /** the user's handler file, bundled in the user's project by the local esbuild */
  | { entry: string; projectRoot?: string; depsLockFilePath?: string }
  /** code the user built (`handler` as Lambda names it, e.g. "index.handler") */
  | { code: Code; handler: string };

export interface TxonceFunctionOptions {
  source: FunctionSource;
  retention: RetentionDays;
  timeout: Duration;
  memorySize: number;
  environment: Record<string, string>;
  /** a Node.js runtime (see functionRuntime in lambda-runtime.ts) */
  runtime: Runtime;
}

/**
 * A function as txonce deploys them: minified ESM with source maps, the AWS SDK left to the
 * runtime, arm64 on the runtime given (by default the newest Node.js), X-Ray, JSON logs into a log group of its own with retention,
 * and a role of its own that may only write that log group.
 */
export function txonceFunction(scope: Construct, id: string, options: TxonceFunctionOptions): LambdaFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: options.retention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `txonce ${id.toLowerCase()}: writes its own log group, nothing more by default`,
  });
  logGroup.grantWrite(role);
  const common = {
    runtime: options.runtime,
    architecture: Architecture.ARM_64,
    role,
    logGroup,
    loggingFormat: LoggingFormat.JSON,
    tracing: Tracing.ACTIVE,
    timeout: options.timeout,
    memorySize: options.memorySize,
    environment: { NODE_OPTIONS: '--enable-source-maps', ...options.environment },
  } satisfies Partial<FunctionProps>;

  const { source } = options;
  if ('prebuilt' in source) {
    return new LambdaFunction(scope, id, {
      ...common,
      code: Code.fromAsset(prebuiltFunctionDir(source.prebuilt)),
      handler: 'index.handler',
    });
  }
  if ('code' in source) return new LambdaFunction(scope, id, { ...common, code: source.code, handler: source.handler });
  return new NodejsFunction(scope, id, {
    ...common,
    entry: source.entry,
    projectRoot: source.projectRoot,
    depsLockFilePath: source.depsLockFilePath,
    handler: 'handler',
    bundling: {
      forceDockerBundling: false, // the project's own esbuild, never Docker
      minify: true,
      sourceMap: true,
      format: OutputFormat.ESM,
      // no `target`: aws-cdk-lib derives it from the runtime (nodejs26.x → node26)
      externalModules: ['@aws-sdk/*'],
      // ESM output: let bundled CommonJS packages require Node built-ins
      banner:
        "import { createRequire as txonceCreateRequire } from 'module'; const require = txonceCreateRequire(import.meta.url);",
    },
  });
}
