import { Duration, Stack, Token } from 'aws-cdk-lib';
import type { Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { INGEST_ENVIRONMENT, POWERTOOLS_ENVIRONMENT } from '../lib/contracts/environment.js';
import { txonceFunction } from './lambda-function.js';
import { WEBHOOK_ENDPOINT } from './settings.js';
import type { WebhookArchive } from './webhook-archive.js';
import type { PipelineSource } from './webhook-sources.js';

/** Lambda's limit on a function's environment: every name and value together. */
const LAMBDA_ENVIRONMENT_BYTES = 4096;
/** What a secret's ARN or the queue's URL takes in the deployed environment, at most (a token at synth). */
const TOKEN_BYTES = 128;

export const INGEST_SERVICE = 'txonce-ingest';

/**
 * The ingest function: one for all the pipeline's sources. A single source (the `scheme` props)
 * keeps its environment of old (WEBHOOK_SCHEME, WEBHOOK_SOURCE, WEBHOOK_SECRET_ID); several are
 * one compact JSON list, WEBHOOK_SOURCES, each source a preset's name or its definition and its
 * secret's ARN. The function may send to the queue, read each source's secret and write the
 * archive's objects (ARCHIVE_BUCKET), nothing more.
 */
export function ingestFunction(
  scope: Construct,
  options: {
    sources: PipelineSource[];
    /** the single source of the `scheme` props: its environment as before */
    single: boolean;
    queue: IQueue;
    /** the archive the ingest writes each accepted webhook to; none: not archived */
    archive: WebhookArchive | undefined;
    fifo: boolean;
    maxBodyBytes: number | undefined;
    runtime: Runtime;
    retention: RetentionDays;
  },
): LambdaFunction {
  const { sources, fifo } = options;
  const maxBodyBytes = String(options.maxBodyBytes ?? WEBHOOK_ENDPOINT.maxBodyBytes);
  const perSource = options.single
    ? singleSourceEnvironment(sources[0], fifo)
    : {
        [INGEST_ENVIRONMENT.sources]: Stack.of(scope).toJsonString(sources.map((source) => sourceEntry(source, fifo))),
      };
  const environment = {
    [INGEST_ENVIRONMENT.queueUrl]: options.queue.queueUrl,
    ...perSource,
    [INGEST_ENVIRONMENT.maxBodyBytes]: maxBodyBytes,
    ...(options.archive ? { [INGEST_ENVIRONMENT.archiveBucket]: options.archive.bucket.bucketName } : {}),
    [POWERTOOLS_ENVIRONMENT.serviceName]: INGEST_SERVICE,
    [POWERTOOLS_ENVIRONMENT.metricsNamespace]: 'txonce',
  };
  if (!options.single) assertFitsLambda(environment, sources, fifo);
  const ingest = txonceFunction(scope, 'Ingest', {
    source: { prebuilt: 'ingest' },
    runtime: options.runtime,
    retention: options.retention,
    timeout: Duration.seconds(10),
    memorySize: 256,
    environment,
  });
  options.queue.grantSendMessages(ingest);
  for (const source of sources) source.secret.grantRead(ingest);
  options.archive?.grantWrite(ingest);
  return ingest;
}

function singleSourceEnvironment(source: PipelineSource, fifo: boolean): Record<string, string> {
  return {
    [INGEST_ENVIRONMENT.scheme]: source.scheme as string,
    [INGEST_ENVIRONMENT.source]: source.name,
    [INGEST_ENVIRONMENT.secretId]: source.secret.secretArn,
    ...(fifo ? { [INGEST_ENVIRONMENT.messageGroupPaths]: JSON.stringify(source.messageGroupPaths ?? []) } : {}),
  };
}

/** One source as WEBHOOK_SOURCES lists it: only what differs from the ingest's defaults. */
function sourceEntry(source: PipelineSource, fifo: boolean, secretId: string = source.secret.secretArn) {
  return {
    name: source.name,
    scheme: source.scheme,
    secretId,
    ...(source.toleranceSeconds !== undefined ? { toleranceSeconds: source.toleranceSeconds } : {}),
    ...(fifo && source.messageGroupPaths ? { messageGroupPaths: source.messageGroupPaths } : {}),
    ...(source.body === 'form' ? { body: 'form' } : {}),
    ...(source.url ? { url: source.url } : {}),
  };
}

/**
 * Lambda refuses a deployment whose environment passes 4 KB: say so at synth, with the way out,
 * rather than in a failed CloudFormation update. ARNs and URLs are counted at their longest.
 */
function assertFitsLambda(environment: Record<string, string>, sources: PipelineSource[], fifo: boolean): void {
  const list = JSON.stringify(sources.map((source) => sourceEntry(source, fifo, 'x'.repeat(TOKEN_BYTES))));
  // txonceFunction adds NODE_OPTIONS (source maps) to every function's environment
  const deployed = { NODE_OPTIONS: '--enable-source-maps', ...environment };
  const bytes = Object.entries(deployed).reduce((sum, [name, value]) => {
    const size =
      name === INGEST_ENVIRONMENT.sources
        ? Buffer.byteLength(list)
        : Token.isUnresolved(value)
          ? TOKEN_BYTES
          : Buffer.byteLength(value);
    return sum + name.length + size;
  }, 0);
  if (bytes > LAMBDA_ENVIRONMENT_BYTES) {
    throw new Error(
      `WebhookPipeline: the ingest's environment would be about ${bytes} bytes with these ${sources.length} sources; ` +
        `Lambda allows ${LAMBDA_ENVIRONMENT_BYTES}. Use presets by name where one fits (a definition is spelled out in full), ` +
        'or split the sources over two pipelines.',
    );
  }
}
