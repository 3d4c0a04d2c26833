import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { POWERTOOLS_ENVIRONMENT } from '../../lib/contracts/environment.js';
import { usableSecrets } from '../../lib/index.js';
import { readIngestConfig } from './config.js';
import { createIngest } from './ingest.js';
import { parseSecretList, secretsManagerSource } from './secrets.js';
import { ingestSqsClient } from './sqs-client.js';

// Cold start: wrong settings, or a secret that cannot be fetched or used, fail here, not as 401s.
const config = readIngestConfig(process.env);
const secrets = config.secretId
  ? secretsManagerSource({ client: new SecretsManagerClient({}), secretId: config.secretId })
  : parseSecretList(config.secret as string);
usableSecrets(config.scheme, Array.isArray(secrets) ? secrets : await secrets.current());

export const handler = createIngest({
  scheme: config.scheme,
  source: config.source,
  secrets,
  sqs: ingestSqsClient(),
  queueUrl: config.queueUrl,
  maxBodyBytes: config.maxBodyBytes,
  toleranceSeconds: config.toleranceSeconds,
  messageGroupPaths: config.messageGroupPaths,
  logger: new Logger({ serviceName: process.env[POWERTOOLS_ENVIRONMENT.serviceName] ?? 'txonce-ingest' }),
});
