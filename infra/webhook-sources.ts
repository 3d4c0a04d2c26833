import { RemovalPolicy } from 'aws-cdk-lib';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { MESSAGE_GROUP_PATHS } from '../lib/contracts/message-groups.js';
import type { HmacSchemeDefinition } from '../lib/webhooks/hmac-scheme-definition.js';
import type { WebhookPreset } from '../lib/webhooks/presets.js';
import { resolveWebhookScheme } from '../lib/webhooks/schemes.js';

/**
 * One webhook source of a `WebhookPipeline`: a provider that posts to `/webhooks/<name>`, with
 * its own scheme, secret, namespace (`name`), rejection metric and alarm. Every source's events
 * go to the pipeline's one queue and consumer, the source travelling with each message (its
 * `source` attribute).
 *
 * @example
 * ```ts
 * import { App, Stack } from 'aws-cdk-lib';
 * import { WebhookPipeline, type WebhookSourceProps } from 'txonce/cdk';
 *
 * const stack = new Stack(new App(), 'billing');
 * const sources: WebhookSourceProps[] = [
 *   { name: 'stripe', scheme: 'stripe' },
 *   { name: 'github', scheme: 'github' },
 *   { name: 'sms', scheme: 'twilio', body: 'form', url: 'https://hooks.example.com/webhooks/sms' },
 * ];
 * new WebhookPipeline(stack, 'Pipeline', { sources });
 * ```
 */
export interface WebhookSourceProps {
  /** The path segment (`/webhooks/<name>`) and key namespace ("<name>#<key>"): 1 to 64 letters, digits, ".", "_" or "-". */
  name: string;
  /** A preset's name (`stripe`, `github`, `shopify`, `twilio`...) or a scheme definition (docs/webhooks.md). */
  scheme: WebhookPreset | HmacSchemeDefinition;
  /**
   * The source's signing secret: one value, or during a rotation a JSON array (new first, then
   * old). Default: a new secret with a random value; put the provider's secret in it before the
   * first webhook.
   */
  secret?: ISecret;
  /** How far a signed timestamp may be from now, in seconds. Default: the scheme's own, else 300. */
  toleranceSeconds?: number;
  /** FIFO only: dot paths naming the entity an event is about. Default: the scheme's (Stripe, GitHub, Standard Webhooks), else none. */
  messageGroupPaths?: string[];
  /** How the provider sends events: `json` (default) or `form` (`application/x-www-form-urlencoded`: Twilio, Slack's slash commands). */
  body?: 'json' | 'form';
  /** For schemes that sign the URL (Square, Twilio): the URL exactly as configured at the provider. Default: rebuilt from the request. */
  url?: string;
}

/** A source as the construct builds it: its props checked, its secret made. */
export interface PipelineSource {
  name: string;
  /** The scheme as the ingest reads it: a preset's name, or the definition. */
  scheme: WebhookPreset | HmacSchemeDefinition;
  definition: HmacSchemeDefinition;
  secret: ISecret;
  /** The secret was made here (not given): its cdk-nag finding is ours to acknowledge. */
  generatedSecret: boolean;
  toleranceSeconds: number | undefined;
  messageGroupPaths: string[] | undefined;
  body: 'json' | 'form';
  url: string | undefined;
}

const SOURCE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Checks every source and names each problem; the messages say which source and what to give. */
export function sourceProblems(sources: WebhookSourceProps[], fifo: boolean): string[] {
  const problems: string[] = [];
  if (sources.length === 0) problems.push('sources: give at least one, or leave `sources` out for a single source');
  const seen = new Set<string>();
  for (const [index, source] of sources.entries()) {
    const where = `sources[${index}]${source?.name ? ` ("${source.name}")` : ''}`;
    if (!SOURCE_NAME.test(source?.name ?? ''))
      problems.push(
        `${where}: name must be 1 to 64 letters, digits, ".", "_" or "-" (it is a path segment and the key namespace)`,
      );
    else if (seen.has(source.name)) problems.push(`${where}: the name "${source.name}" is given twice`);
    seen.add(source?.name);
    try {
      resolveWebhookScheme(source?.scheme);
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
    }
    const tolerance = source?.toleranceSeconds;
    if (tolerance !== undefined && !(Number.isSafeInteger(tolerance) && tolerance > 0))
      problems.push(`${where}: toleranceSeconds must be a positive whole number of seconds (got ${tolerance})`);
    if (source?.body !== undefined && source.body !== 'json' && source.body !== 'form')
      problems.push(`${where}: body must be "json" or "form" (got "${source.body}")`);
    if (source?.url !== undefined && !/^https:\/\//.test(source.url))
      problems.push(`${where}: url must be the https URL the provider posts to (got "${source.url}")`);
    if (source?.messageGroupPaths !== undefined && !fifo)
      problems.push(`${where}: messageGroupPaths applies to FIFO queues only: set fifo: true or leave it out`);
  }
  return problems;
}

/** The sources, each with its secret: the one given, or a new one (removed with `removalPolicy`). */
export function buildSources(
  scope: Construct,
  sources: WebhookSourceProps[],
  removalPolicy: RemovalPolicy,
  secretId: (source: WebhookSourceProps) => string,
): PipelineSource[] {
  return sources.map((source) => {
    const definition = resolveWebhookScheme(source.scheme);
    const secret =
      source.secret ??
      new Secret(scope, secretId(source), {
        description: `Webhook signing secret(s) for ${source.name}: one secret, or a JSON array during a rotation`,
        // 32 letters and digits: valid base64, so usable by every scheme until the provider's secret replaces it
        generateSecretString: { passwordLength: 32, excludePunctuation: true },
        removalPolicy: removalPolicy ?? RemovalPolicy.RETAIN,
      });
    return {
      name: source.name,
      scheme: source.scheme,
      definition,
      secret,
      generatedSecret: source.secret === undefined,
      toleranceSeconds: source.toleranceSeconds,
      messageGroupPaths: source.messageGroupPaths ?? defaultGroupPaths(source.scheme),
      body: source.body ?? 'json',
      url: source.url,
    };
  });
}

function defaultGroupPaths(scheme: WebhookSourceProps['scheme']): string[] | undefined {
  return typeof scheme === 'string' && Object.hasOwn(MESSAGE_GROUP_PATHS, scheme)
    ? [...MESSAGE_GROUP_PATHS[scheme as keyof typeof MESSAGE_GROUP_PATHS]]
    : undefined;
}
