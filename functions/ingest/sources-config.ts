import { INGEST_ENVIRONMENT } from '../../lib/contracts/environment.js';
import { MESSAGE_GROUP_PATHS } from '../../lib/contracts/message-groups.js';
import { resolveWebhookScheme, type SchemeSelector } from '../../lib/webhooks/schemes.js';
import { ConfigError } from '../shared/config-error.js';
import { readIngestConfig } from './config.js';
import type { BodyType } from './event-body.js';

/** One webhook source of the ingest: its path `/webhooks/<name>`, scheme, secret and settings. */
export interface IngestSourceConfig {
  /** the key namespace, the `source` attribute, the metrics' dimension, the last path segment */
  name: string;
  scheme: SchemeSelector;
  /** Secrets Manager secret (name or ARN) holding the source's secret(s) */
  secretId: string | undefined;
  /** the secret(s) themselves, for local use only (single-source WEBHOOK_SECRET) */
  secret: string | undefined;
  toleranceSeconds: number | undefined;
  messageGroupPaths: string[];
  body: BodyType;
  url: string | undefined;
}

export interface IngestSourcesConfig {
  queueUrl: string;
  maxBodyBytes: number;
  sources: IngestSourceConfig[];
  /** the archive bucket (ARCHIVE_BUCKET), one for all sources; unset: accepted webhooks are not archived */
  archiveBucket: string | undefined;
}

/** A source name: a path segment, and a namespace without "#". */
const SOURCE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The ingest's sources: WEBHOOK_SOURCES (a JSON array, one object per source, as
 * WebhookPipeline's `sources` writes it), else the single source of WEBHOOK_SCHEME,
 * WEBHOOK_SOURCE and WEBHOOK_SECRET_ID.
 */
export function readIngestSources(env: NodeJS.ProcessEnv): IngestSourcesConfig {
  const archiveBucket = env[INGEST_ENVIRONMENT.archiveBucket]?.trim() || undefined;
  if (!env[INGEST_ENVIRONMENT.sources]?.trim()) {
    const single = readIngestConfig(env);
    return {
      queueUrl: single.queueUrl,
      maxBodyBytes: single.maxBodyBytes,
      sources: [
        {
          name: single.source,
          scheme: single.scheme,
          secretId: single.secretId,
          secret: single.secret,
          toleranceSeconds: single.toleranceSeconds,
          messageGroupPaths: single.messageGroupPaths,
          body: 'json',
          url: undefined,
        },
      ],
      archiveBucket,
    };
  }
  const problems: string[] = [];
  const queueUrl = env[INGEST_ENVIRONMENT.queueUrl]?.trim() ?? '';
  if (!/^https?:\/\//.test(queueUrl))
    problems.push(`${INGEST_ENVIRONMENT.queueUrl} must be the URL of the event queue`);
  const { scheme, source, secretId, secret, messageGroupPaths } = INGEST_ENVIRONMENT;
  for (const name of [scheme, source, secretId, secret, messageGroupPaths])
    if (env[name]?.trim())
      problems.push(`${name} is for a single source: with ${INGEST_ENVIRONMENT.sources}, give it per source`);
  const maxText = env[INGEST_ENVIRONMENT.maxBodyBytes]?.trim();
  const maxBodyBytes = maxText ? Number(maxText) : 256 * 1024;
  if (!(Number.isSafeInteger(maxBodyBytes) && maxBodyBytes > 0))
    problems.push(`${INGEST_ENVIRONMENT.maxBodyBytes} must be a positive whole number (got "${maxText}")`);
  const sources = parseSources(env[INGEST_ENVIRONMENT.sources] as string, problems);
  if (problems.length > 0) throw new ConfigError('ingest function', problems);
  return { queueUrl, maxBodyBytes, sources, archiveBucket };
}

function parseSources(text: string, problems: string[]): IngestSourceConfig[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (error) {
    problems.push(`${INGEST_ENVIRONMENT.sources} is not JSON (${(error as Error).message})`);
    return [];
  }
  if (!Array.isArray(list) || list.length === 0) {
    problems.push(`${INGEST_ENVIRONMENT.sources} must be a JSON array of sources, at least one`);
    return [];
  }
  const seen = new Set<string>();
  return list.map((item, index) => {
    const entry = (item ?? {}) as Record<string, unknown>;
    const name = String(entry.name ?? '');
    const where = `${INGEST_ENVIRONMENT.sources}[${index}]${name ? ` ("${name}")` : ''}`;
    const problem = (text: string) => problems.push(`${where}: ${text}`);
    if (!SOURCE_NAME.test(name)) problem('name must be 1 to 64 letters, digits, ".", "_" or "-"');
    else if (seen.has(name)) problem('the name is given twice');
    seen.add(name);
    let scheme: SchemeSelector = 'standard-webhooks';
    try {
      resolveWebhookScheme(entry.scheme as SchemeSelector);
      scheme = entry.scheme as SchemeSelector;
    } catch (error) {
      problem((error as Error).message);
    }
    const secretId = typeof entry.secretId === 'string' && entry.secretId ? entry.secretId : undefined;
    if (!secretId) problem('secretId must name the Secrets Manager secret of the source');
    const tolerance = entry.toleranceSeconds;
    if (tolerance !== undefined && !(Number.isSafeInteger(tolerance) && (tolerance as number) > 0))
      problem(`toleranceSeconds must be a positive whole number (got ${JSON.stringify(tolerance)})`);
    const body = entry.body ?? 'json';
    if (body !== 'json' && body !== 'form') problem(`body must be "json" or "form" (got ${JSON.stringify(body)})`);
    const paths = entry.messageGroupPaths ?? defaultGroupPaths(scheme);
    if (!Array.isArray(paths) || !paths.every((path) => typeof path === 'string' && path.length > 0))
      problem('messageGroupPaths must be a list of dot paths like ["data.object.id"]');
    if (entry.url !== undefined && !/^https:\/\//.test(String(entry.url)))
      problem(`url must be the https URL the provider posts to (got ${JSON.stringify(entry.url)})`);
    return {
      name,
      scheme,
      secretId,
      secret: undefined,
      toleranceSeconds: tolerance as number | undefined,
      messageGroupPaths: Array.isArray(paths) ? (paths as string[]) : [],
      body: body as BodyType,
      url: entry.url as string | undefined,
    };
  });
}

function defaultGroupPaths(scheme: SchemeSelector): string[] {
  return typeof scheme === 'string' && Object.hasOwn(MESSAGE_GROUP_PATHS, scheme)
    ? [...MESSAGE_GROUP_PATHS[scheme as keyof typeof MESSAGE_GROUP_PATHS]]
    : [];
}
