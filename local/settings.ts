import { mkdirSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { INGEST_ENVIRONMENT } from '../lib/contracts/environment.js';
import { PIPELINE_SCHEMES, type WebhookPreset, webhookPresets } from '../lib/webhooks/presets.js';
import { assertUsableSecret, type WebhookScheme } from '../lib/webhooks/schemes.js';

/** A setting `npm start` cannot use: printed as one sentence, never a stack trace. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export interface StartSettings {
  port: number;
  dynamoPort?: number;
  sqsPort?: number;
  dataPath?: string;
  scheme: WebhookScheme;
  /** WEBHOOK_SOURCES=stripe,github,shopify: several sources, each a preset at /webhooks/<preset> */
  sources?: WebhookPreset[];
  secret?: string;
  visibilityTimeoutSeconds?: number;
  iam: IamSetting;
}

/** `report`: enforced, and the usage report (grants no call used) is printed when the stack stops. */
export const IAM_SETTINGS = ['enforce', 'report', 'off'] as const;
export type IamSetting = (typeof IAM_SETTINGS)[number];

/**
 * Reads and checks `npm start`'s environment. Every problem is named at once; a relative
 * TXONCE_DATA_DIR is taken from where `npm start` was typed (npm's INIT_CWD), not from inside
 * node_modules where DynamoDB Local runs.
 */
export function readStartSettings(env: NodeJS.ProcessEnv, cwd = env.INIT_CWD ?? process.cwd()): StartSettings {
  const problems: string[] = [];
  const port = (name: string, lowest: number) => {
    const text = env[name]?.trim();
    if (!text) return undefined;
    const value = Number(text);
    if (/^\d+$/.test(text) && value >= lowest && value <= 65535) return value;
    problems.push(`${name} must be a port number from ${lowest} to 65535, got "${text}"`);
    return undefined;
  };
  const settings: StartSettings = {
    port: port('PORT', 0) ?? 3000,
    dynamoPort: port('DYNAMODB_PORT', 1),
    sqsPort: port('SQS_PORT', 1),
    scheme: 'standard-webhooks',
    iam: 'enforce',
  };
  const scheme = env[INGEST_ENVIRONMENT.scheme]?.trim();
  if (scheme && !(PIPELINE_SCHEMES as readonly string[]).includes(scheme as WebhookScheme)) {
    problems.push(`${INGEST_ENVIRONMENT.scheme} must be one of ${PIPELINE_SCHEMES.join(', ')}, got "${scheme}"`);
  } else if (scheme) settings.scheme = scheme as WebhookScheme;
  const sources = env[INGEST_ENVIRONMENT.sources]
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (sources?.length && scheme)
    problems.push(`give ${INGEST_ENVIRONMENT.sources} or ${INGEST_ENVIRONMENT.scheme}, not both`);
  const unknown = sources?.filter((name) => !Object.hasOwn(webhookPresets, name)) ?? [];
  if (unknown.length > 0)
    problems.push(
      `${INGEST_ENVIRONMENT.sources} names presets, one of ${Object.keys(webhookPresets).join(', ')}; got "${unknown.join('", "')}"`,
    );
  else if (sources?.length) settings.sources = sources as WebhookPreset[];
  const secret = env[INGEST_ENVIRONMENT.secret]?.trim();
  if (secret) {
    try {
      // the local secret is every source's
      for (const one of settings.sources ?? [settings.scheme]) assertUsableSecret(one, secret);
      settings.secret = secret;
    } catch (error) {
      problems.push(`${INGEST_ENVIRONMENT.secret} cannot be used: ${(error as Error).message}`);
    }
  }
  const visibility = env.TXONCE_VISIBILITY_TIMEOUT?.trim();
  if (visibility) {
    const value = Number(visibility);
    if (/^\d+$/.test(visibility) && value <= 43_200) settings.visibilityTimeoutSeconds = value;
    else problems.push(`TXONCE_VISIBILITY_TIMEOUT must be whole seconds from 0 to 43200, got "${visibility}"`);
  }
  const iam = env.TXONCE_IAM?.trim();
  if ((IAM_SETTINGS as readonly string[]).includes(iam ?? '')) settings.iam = iam as IamSetting;
  else if (iam)
    problems.push(
      `TXONCE_IAM must be enforce (the default: calls the role does not allow fail as on AWS), report (enforce, and print the grants no call used when the stack stops) or off (calls are only recorded), got "${iam}"`,
    );
  const dataDir = env.TXONCE_DATA_DIR?.trim();
  if (dataDir) {
    const path = isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir);
    try {
      mkdirSync(path, { recursive: true });
      settings.dataPath = path;
    } catch (error) {
      problems.push(`TXONCE_DATA_DIR ${path} cannot be created (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  if (settings.dynamoPort && settings.dynamoPort === settings.sqsPort) {
    problems.push('DYNAMODB_PORT and SQS_PORT must differ');
  }
  if (problems.length > 0) throw new SettingsError(`npm start: ${problems.join('; ')}.`);
  return settings;
}
