import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { INGEST_ENVIRONMENT, POWERTOOLS_ENVIRONMENT } from '../../lib/contracts/environment.js';
import { usableSecrets } from '../../lib/index.js';
import { s3ArchiveWriter } from './archive.js';
import { createIngest } from './ingest.js';
import { parseSecretList, secretsManagerSource } from './secrets.js';
import { routeBySource } from './source-router.js';
import { type IngestSourceConfig, readIngestSources } from './sources-config.js';
import { ingestSqsClient } from './sqs-client.js';

// Cold start: wrong settings, or a secret that cannot be fetched or used, fail here, not as 401s.
const config = readIngestSources(process.env);
const serviceName = process.env[POWERTOOLS_ENVIRONMENT.serviceName] ?? 'txonce-ingest';
const logger = new Logger({ serviceName });
const metrics = new Metrics({
  namespace: process.env[POWERTOOLS_ENVIRONMENT.metricsNamespace] ?? 'txonce',
  serviceName,
});
const sqs = ingestSqsClient();
// one bucket for every source: each webhook is kept under its own source's prefix
const archive = config.archiveBucket ? s3ArchiveWriter(config.archiveBucket) : undefined;
const secretsManager = new SecretsManagerClient({});

async function sourceHandler(source: IngestSourceConfig) {
  const secrets = source.secretId
    ? secretsManagerSource({ client: secretsManager, secretId: source.secretId })
    : parseSecretList(source.secret as string);
  usableSecrets(source.scheme, Array.isArray(secrets) ? secrets : await secrets.current());
  return createIngest({
    scheme: source.scheme,
    source: source.name,
    secrets,
    sqs,
    queueUrl: config.queueUrl,
    maxBodyBytes: config.maxBodyBytes,
    toleranceSeconds: source.toleranceSeconds,
    messageGroupPaths: source.messageGroupPaths,
    body: source.body,
    url: source.url,
    archive,
    logger,
    metrics,
  });
}

// every source's secret is fetched at once: one round trip of cold start, whatever their number
const handlers = await Promise.all(config.sources.map(sourceHandler));

// WEBHOOK_SOURCES: the API's /webhooks/<name> paths pick the source; else the one source takes the one path
export const handler = process.env[INGEST_ENVIRONMENT.sources]?.trim()
  ? routeBySource(Object.fromEntries(config.sources.map((source, index) => [source.name, handlers[index]])))
  : handlers[0];
