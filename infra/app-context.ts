import type { WebhookScheme } from 'txonce/cdk';
import { PIPELINE_SCHEMES, type WebhookPreset, webhookPresets } from '../lib/webhooks/presets.js';

/** What `-c name=value` may set for this repo's app (cdk.json's context, or the command line). */
export interface AppContext {
  stage: string;
  scheme: WebhookScheme;
  source: string | undefined;
  /** several sources, `-c sources=stripe,github,shopify`: each a preset, named after it, at /webhooks/<preset> */
  sources: WebhookPreset[] | undefined;
  fifo: boolean;
  alarmEmail: string | undefined;
  destroyData: boolean;
  /** a production stage: `-c production=true`, or the stage named "prod" */
  production: boolean;
  /** API Gateway access and execution logs (needs the account's API Gateway CloudWatch role) */
  apiLogging: boolean;
  webAclArn: string | undefined;
}

/** Reads and checks the app context once, so a typo is one clear message instead of a crash deep in synth. */
export function readAppContext(get: (name: string) => unknown): AppContext {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = get(name);
    if (value === undefined || value === null || value === '') return undefined;
    return String(value);
  };
  const flag = (name: string): boolean => {
    const value = text(name);
    if (value === undefined || value === 'false') return false;
    if (value === 'true') return true;
    problems.push(`${name} must be true or false (got "${value}")`);
    return false;
  };
  const stage = text('stage') ?? 'dev';
  if (!/^[A-Za-z][A-Za-z0-9-]{0,40}$/.test(stage))
    problems.push(`stage must be letters, digits and dashes, starting with a letter (got "${stage}")`);
  const scheme = (text('scheme') ?? 'standard-webhooks') as WebhookScheme;
  if (!(PIPELINE_SCHEMES as readonly string[]).includes(scheme))
    problems.push(`scheme must be one of ${PIPELINE_SCHEMES.join(', ')} (got "${scheme}")`);
  const source = text('source');
  if (source !== undefined && !/^[A-Za-z0-9._:-]{1,64}$/.test(source))
    problems.push(`source must be 1 to 64 letters, digits, ".", "_", ":" or "-" (got "${source}")`);
  const sources = text('sources')
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean) as WebhookPreset[] | undefined;
  for (const name of sources ?? [])
    if (!Object.hasOwn(webhookPresets, name))
      problems.push(`sources: "${name}" is not a preset (one of ${Object.keys(webhookPresets).join(', ')})`);
  if (sources && (text('scheme') !== undefined || source !== undefined))
    problems.push('sources names each source by its preset: leave scheme and source out');
  const alarmEmail = text('alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail))
    problems.push(`alarmEmail must be an email address (got "${alarmEmail}")`);
  const webAclArn = text('webAclArn');
  if (webAclArn !== undefined && !/^arn:aws[\w-]*:wafv2:[\w-]+:\d{12}:regional\/webacl\//.test(webAclArn))
    problems.push(`webAclArn must be a regional WAFv2 web ACL ARN (got "${webAclArn}")`);
  const context: AppContext = {
    stage,
    scheme,
    source,
    sources,
    fifo: flag('fifo'),
    alarmEmail,
    destroyData: flag('destroyData'),
    production: flag('production') || stage === 'prod',
    apiLogging: flag('apiLogging'),
    webAclArn,
  };
  if (context.production && context.destroyData) problems.push('destroyData=true is refused for a production stage');
  if (problems.length > 0) throw new Error(`Invalid CDK context: ${problems.join('; ')}.`);
  return context;
}
