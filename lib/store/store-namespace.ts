import { SOURCE_VARIABLE, SOURCES_VARIABLE } from '../contracts/environment.js';
import type { OptionChecks } from '../shared/options.js';

/**
 * The key namespace of a store: `source`, else the pipeline's IDEMPOTENCY_SOURCE, else
 * "default"; never one the pipeline does not write (IDEMPOTENCY_SOURCE, or with several
 * sources one of IDEMPOTENCY_SOURCES).
 */
export function storeNamespace(given: string | undefined, check: OptionChecks): string {
  const sources = pipelineSources();
  if (sources) return oneOfSources(given, sources, check);
  const fromPipeline = process.env[SOURCE_VARIABLE]?.trim() || undefined;
  const source = given ?? fromPipeline ?? 'default';
  checkSource(source, check);
  if (fromPipeline !== undefined && source !== fromPipeline) {
    check.fail(
      `\`source\` is "${source}" but ${SOURCE_VARIABLE} (set by WebhookPipeline from its \`source\` prop, default the scheme) ` +
        `is "${fromPipeline}": records would be keyed "${source}#<key>" where the pipeline and \`txonce inspect ` +
        `${fromPipeline} <key>\` look for "${fromPipeline}#<key>". Leave \`source\` out to use the pipeline's, or give ` +
        `the pipeline \`source: '${source}'\`.`,
    );
  }
  return source;
}

/** IDEMPOTENCY_SOURCES as a list, or undefined when unset. */
export function pipelineSources(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const list = env[SOURCES_VARIABLE]
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return list && list.length > 0 ? list : undefined;
}

function oneOfSources(given: string | undefined, sources: string[], check: OptionChecks): string {
  if (given === undefined) {
    check.fail(
      `\`source\` is required: this pipeline has several sources (${sources.join(', ')}); make a store per source ` +
        `(new Idempotency({ ..., source })) and pick it by the message's "source" attribute (sqsBatchHandlerPerSource).`,
    );
  }
  const source = given as string;
  checkSource(source, check);
  if (!sources.includes(source)) {
    check.fail(
      `\`source\` is "${source}" but the pipeline's sources (${SOURCES_VARIABLE}, set by WebhookPipeline from its ` +
        `\`sources\`) are ${sources.join(', ')}: records would be keyed "${source}#<key>" where the pipeline and ` +
        '`txonce inspect` never look. Give one of them, or add the source to the pipeline.',
    );
  }
  return source;
}

function checkSource(source: string, check: OptionChecks): void {
  check.text('source', source);
  if (source.includes('#'))
    check.fail(`\`source\` may not contain "#" (got "${source}"): it separates source from key.`);
}
