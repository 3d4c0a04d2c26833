import { INGEST_ENVIRONMENT } from '../../lib/contracts/environment.js';
import { MESSAGE_GROUP_PATHS } from '../../lib/contracts/message-groups.js';
import type { WebhookScheme } from '../../lib/index.js';
import { PIPELINE_SCHEMES } from '../../lib/webhooks/presets.js';
import { ConfigError } from '../shared/config-error.js';

export interface IngestConfig {
  queueUrl: string;
  scheme: WebhookScheme;
  /** namespace of the keys and the `source` attribute; default: the scheme */
  source: string;
  /** Secrets Manager secret (name or ARN) holding the webhook secret(s) */
  secretId: string | undefined;
  /** the secret(s) themselves, for local use only */
  secret: string | undefined;
  maxBodyBytes: number;
  toleranceSeconds: number;
  /** FIFO queues: dot paths into the body naming the event's entity (its message group), tried in order */
  messageGroupPaths: string[];
}

/** SQS takes messages up to 1 MiB with attributes; 256 KiB leaves room and fits older quotas. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export function readIngestConfig(env: NodeJS.ProcessEnv): IngestConfig {
  const problems: string[] = [];
  const queueUrl = env[INGEST_ENVIRONMENT.queueUrl]?.trim() ?? '';
  if (!/^https?:\/\//.test(queueUrl))
    problems.push(`${INGEST_ENVIRONMENT.queueUrl} must be the URL of the event queue`);
  const scheme = env[INGEST_ENVIRONMENT.scheme]?.trim() as WebhookScheme;
  if (!(PIPELINE_SCHEMES as readonly string[]).includes(scheme))
    problems.push(`${INGEST_ENVIRONMENT.scheme} must be one of ${PIPELINE_SCHEMES.join(', ')} (got "${scheme ?? ''}")`);
  const secretId = env[INGEST_ENVIRONMENT.secretId]?.trim() || undefined;
  const secret = env[INGEST_ENVIRONMENT.secret]?.trim() || undefined;
  if (!secretId && !secret)
    problems.push(`set ${INGEST_ENVIRONMENT.secretId} (Secrets Manager) or, locally, ${INGEST_ENVIRONMENT.secret}`);
  if (secretId && secret)
    problems.push(`set only one of ${INGEST_ENVIRONMENT.secretId} and ${INGEST_ENVIRONMENT.secret}`);
  const source = env[INGEST_ENVIRONMENT.source]?.trim() || scheme;
  if (source?.includes('#')) problems.push(`${INGEST_ENVIRONMENT.source} may not contain "#" (got "${source}")`);
  const maxBodyBytes = positiveInteger(
    env[INGEST_ENVIRONMENT.maxBodyBytes],
    DEFAULT_MAX_BODY_BYTES,
    INGEST_ENVIRONMENT.maxBodyBytes,
    problems,
  );
  const toleranceSeconds = positiveInteger(
    env[INGEST_ENVIRONMENT.toleranceSeconds],
    300,
    INGEST_ENVIRONMENT.toleranceSeconds,
    problems,
  );
  const messageGroupPaths = pathList(env[INGEST_ENVIRONMENT.messageGroupPaths], scheme, problems);
  if (problems.length > 0) throw new ConfigError('ingest function', problems);
  return { queueUrl, scheme, source, secretId, secret, maxBodyBytes, toleranceSeconds, messageGroupPaths };
}

function positiveInteger(text: string | undefined, fallback: number, name: string, problems: string[]): number {
  if (!text?.trim()) return fallback;
  const value = Number(text);
  if (Number.isSafeInteger(value) && value > 0) return value;
  problems.push(`${name} must be a positive whole number (got "${text}")`);
  return fallback;
}

/** MESSAGE_GROUP_PATHS: a JSON array of dot paths; default the scheme's (lib/contracts/message-groups.ts). */
function pathList(text: string | undefined, scheme: WebhookScheme, problems: string[]): string[] {
  if (!text?.trim()) return [...(MESSAGE_GROUP_PATHS[scheme] ?? [])];
  try {
    const paths: unknown = JSON.parse(text);
    if (Array.isArray(paths) && paths.length > 0 && paths.every((path) => typeof path === 'string' && path.length > 0))
      return paths;
  } catch {}
  problems.push(
    `${INGEST_ENVIRONMENT.messageGroupPaths} must be a JSON array of dot paths like ["data.object.id"] (got "${text}")`,
  );
  return [];
}
