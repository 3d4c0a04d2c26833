import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface TxonceFunctionOptions {
  entry: string;
  retention: RetentionDays;
  timeout: Duration;
  memorySize: number;
  environment: Record<string, string>;
}

/**
 * A function as txonce deploys them: local esbuild (never Docker), minified ESM with source
 * maps, the AWS SDK left to the runtime, arm64 on Node.js 24, X-Ray, JSON logs into a log group
 * of its own with retention, and a role of its own that may only write that log group.
 */
export function txonceFunction(scope: Construct, id: string, options: TxonceFunctionOptions): NodejsFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: options.retention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `txonce ${id.toLowerCase()}: writes its own log group, nothing more by default`,
  });
  logGroup.grantWrite(role);
  return new NodejsFunction(scope, id, {
    entry: options.entry,
    handler: 'handler',
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    role,
    logGroup,
    loggingFormat: LoggingFormat.JSON,
    tracing: Tracing.ACTIVE,
    timeout: options.timeout,
    memorySize: options.memorySize,
    environment: { NODE_OPTIONS: '--enable-source-maps', ...options.environment },
    bundling: {
      forceDockerBundling: false,
      minify: true,
      sourceMap: true,
      format: OutputFormat.ESM,
      target: 'node24',
      externalModules: ['@aws-sdk/*'],
      // ESM output: let bundled CommonJS packages require Node built-ins
      banner:
        "import { createRequire as txonceCreateRequire } from 'module'; const require = txonceCreateRequire(import.meta.url);",
    },
  });
}
