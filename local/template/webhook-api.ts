import { INGEST_ENVIRONMENT } from '../../lib/contracts/environment.js';
import type { HmacSchemeDefinition } from '../../lib/index.js';
import { resolveWebhookScheme, type SchemeSelector, webhookSchemeFromText } from '../../lib/webhooks/schemes.js';
import type { SynthesizedStack } from './cloud-assembly.js';
import type { LocalFunction } from './function-runtime.js';
import { environmentOf } from './pipeline-names.js';

/** The webhook ingest behind the template's API: its function, its paths, and the secrets it verifies with. */
export interface WebhookApi {
  functionId: string;
  /** the path of its first method: `/webhooks`, or `/webhooks/<first source>` */
  path: string;
  /** logical ids of every Secrets Manager secret its environment names (one per source) */
  secretIds: string[];
}

/** One source of the running ingest, from its resolved environment. */
export interface LocalWebhookSource {
  name: string;
  /** a preset's name, or a definition's `name` */
  scheme: string;
  /** the scheme as data, so `txonce send` can sign for it */
  definition: HmacSchemeDefinition;
  path: string;
  /** the https URL the source is configured with, which a URL-signing scheme signs instead of the request's */
  configuredUrl?: string;
}

/**
 * The function behind the API's methods (the ingest), found in the template: a method's
 * integration names it and its environment names a scheme or sources, its resource chain gives the path, its environment the secrets (a
 * single source's WEBHOOK_SECRET_ID, or the ARNs in WEBHOOK_SOURCES).
 */
export function webhookApiOf(
  assembly: SynthesizedStack,
  functions: Map<string, LocalFunction>,
): WebhookApi | undefined {
  const resources = assembly.template.Resources;
  const pathOf = (resourceId: unknown): string => {
    const id = (resourceId as { Ref?: string })?.Ref;
    if (!id) return '';
    return `${pathOf(resources[id]?.Properties?.ParentId)}/${resources[id]?.Properties?.PathPart}`;
  };
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::ApiGateway::Method') continue;
    const uri = JSON.stringify(resource.Properties?.Integration);
    const functionId = [...functions.keys()].find((id) => uri.includes(`"${id}"`));
    if (!functionId) continue;
    // the user's own API methods may front other functions: the ingest is the one with a scheme
    const variables = environmentOf(assembly.template, functionId);
    if (variables[INGEST_ENVIRONMENT.scheme] === undefined && variables[INGEST_ENVIRONMENT.sources] === undefined)
      continue;
    const environment = JSON.stringify(resources[functionId].Properties?.Environment ?? {});
    const secretIds = [...environment.matchAll(/\{"Ref":"([^"]+)"\}/g)]
      .map((match) => match[1])
      .filter((id, index, all) => resources[id]?.Type === 'AWS::SecretsManager::Secret' && all.indexOf(id) === index);
    return { functionId, path: pathOf(resource.Properties?.ResourceId) || '/', secretIds };
  }
  return undefined;
}

/** The sources the ingest serves, each with its path: WEBHOOK_SOURCES, else its single source at `path`. */
export function localWebhookSources(environment: Record<string, string>, path: string): LocalWebhookSource[] {
  const list = environment[INGEST_ENVIRONMENT.sources];
  if (!list) {
    return [
      {
        name: environment[INGEST_ENVIRONMENT.source] ?? '',
        scheme: environment[INGEST_ENVIRONMENT.scheme] ?? '',
        definition: webhookSchemeFromText(environment[INGEST_ENVIRONMENT.scheme] ?? ''),
        path,
      },
    ];
  }
  const sources = JSON.parse(list) as { name: string; scheme: SchemeSelector; url?: string }[];
  return sources.map((source) => ({
    name: source.name,
    scheme: typeof source.scheme === 'string' ? source.scheme : source.scheme.name,
    definition: resolveWebhookScheme(source.scheme),
    ...(source.url ? { configuredUrl: source.url } : {}),
    path: `/webhooks/${source.name}`,
  }));
}
