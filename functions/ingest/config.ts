import type { WebhookScheme } from '../../lib/index.js';
import { MESSAGE_GROUP_PATHS } from '../../lib/message-groups.js';
import { ARCHIVE_BUCKET_VARIABLE } from '../../lib/webhook-archive.js';
import { PIPELINE_SCHEMES } from '../../lib/webhook-presets.js';
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
  /** the archive bucket (ARCHIVE_BUCKET); unset: accepted webhooks are not archived */
  archiveBucket: string | undefined;
}

/** SQS takes messages up to 1 MiB with attributes; 256 KiB leaves room and fits older quotas. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export function readIngestConfig(env: NodeJS.ProcessEnv): IngestConfig {
  const problems: string[] = [];
  const queueUrl = env.QUEUE_URL?.trim() ?? '';
  if (!/^https?:\/\//.test(queueUrl)) problems.push('QUEUE_URL must be the URL of the event queue');
  const scheme = env.WEBHOOK_SCHEME?.trim() as WebhookScheme;
  if (!(PIPELINE_SCHEMES as readonly string[]).includes(scheme))
    problems.push(`WEBHOOK_SCHEME must be one of ${PIPELINE_SCHEMES.join(', ')} (got "${scheme ?? ''}")`);
  const secretId = env.WEBHOOK_SECRET_ID?.trim() || undefined;
  const secret = env.WEBHOOK_SECRET?.trim() || undefined;
  if (!secretId && !secret) problems.push('set WEBHOOK_SECRET_ID (Secrets Manager) or, locally, WEBHOOK_SECRET');
  if (secretId && secret) problems.push('set only one of WEBHOOK_SECRET_ID and WEBHOOK_SECRET');
  const source = env.WEBHOOK_SOURCE?.trim() || scheme;
  if (source?.includes('#')) problems.push(`WEBHOOK_SOURCE may not contain "#" (got "${source}")`);
  const maxBodyBytes = positiveInteger(env.MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES, 'MAX_BODY_BYTES', problems);
  const toleranceSeconds = positiveInteger(env.WEBHOOK_TOLERANCE_SECONDS, 300, 'WEBHOOK_TOLERANCE_SECONDS', problems);
  const messageGroupPaths = pathList(env.MESSAGE_GROUP_PATHS, scheme, problems);
  if (problems.length > 0) throw new ConfigError('ingest function', problems);
  const archiveBucket = env[ARCHIVE_BUCKET_VARIABLE]?.trim() || undefined;
  return {
    queueUrl,
    scheme,
    source,
    secretId,
    secret,
    maxBodyBytes,
    toleranceSeconds,
    messageGroupPaths,
    archiveBucket,
  };
}

function positiveInteger(text: string | undefined, fallback: number, name: string, problems: string[]): number {
  if (!text?.trim()) return fallback;
  const value = Number(text);
  if (Number.isSafeInteger(value) && value > 0) return value;
  problems.push(`${name} must be a positive whole number (got "${text}")`);
  return fallback;
}

/** MESSAGE_GROUP_PATHS: a JSON array of dot paths; default the scheme's (lib/message-groups.ts). */
function pathList(text: string | undefined, scheme: WebhookScheme, problems: string[]): string[] {
  if (!text?.trim()) return [...(MESSAGE_GROUP_PATHS[scheme] ?? [])];
  try {
    const paths: unknown = JSON.parse(text);
    if (Array.isArray(paths) && paths.length > 0 && paths.every((path) => typeof path === 'string' && path.length > 0))
      return paths;
  } catch {}
  problems.push(`MESSAGE_GROUP_PATHS must be a JSON array of dot paths like ["data.object.id"] (got "${text}")`);
  return [];
}
