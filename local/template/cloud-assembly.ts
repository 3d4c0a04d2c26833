import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { TemplateError } from './emulations.js';

/** A CloudFormation resource as the template holds it. */
export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
}

export interface StackTemplate {
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
  Conditions?: Record<string, unknown>;
  Parameters?: Record<string, unknown>;
}

/** One stack of a synthesized CDK app: its template and where each function's bundle is. */
export interface SynthesizedStack {
  /** the cloud assembly folder (cdk.out) */
  dir: string;
  stackName: string;
  template: StackTemplate;
  /** the folder holding a Lambda function's code (its asset), by the function's logical id */
  bundleDir(logicalId: string): string;
}

/** Reads a cloud assembly: the one stack in it, or the one named `stackName`. */
export function readCloudAssembly(dir: string, stackName?: string): SynthesizedStack {
  const root = isAbsolute(dir) ? dir : resolve(dir);
  const manifestFile = join(root, 'manifest.json');
  if (!existsSync(manifestFile))
    throw new TemplateError(
      `${root} is not a cloud assembly (no manifest.json): synthesize the app first (npx cdk synth), or pass a synth command as --app.`,
    );
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string }; displayName?: string }>;
  };
  const stacks = Object.entries(manifest.artifacts ?? {}).filter(
    ([, artifact]) => artifact.type === 'aws:cloudformation:stack',
  );
  const chosen = stackName ? stacks.filter(([id]) => id === stackName) : stacks;
  if (chosen.length !== 1) {
    throw new TemplateError(
      stackName
        ? `${root} has no stack named ${stackName} (it has ${stacks.map(([id]) => id).join(', ') || 'none'}).`
        : `${root} holds ${stacks.length} stacks (${stacks.map(([id]) => id).join(', ')}): name the one to run (--stack).`,
    );
  }
  const [id, artifact] = chosen[0];
  const template = JSON.parse(
    readFileSync(join(root, artifact.properties?.templateFile ?? `${id}.template.json`), 'utf8'),
  ) as StackTemplate;
  const assets = readAssetPaths(root, id);
  return {
    dir: root,
    stackName: id,
    template,
    bundleDir(logicalId) {
      const resource = template.Resources[logicalId];
      const fromMetadata = resource?.Metadata?.['aws:asset:path'];
      const code = resource?.Properties?.Code as { S3Key?: unknown; ZipFile?: unknown } | undefined;
      const fromKey = typeof code?.S3Key === 'string' ? assets.get(code.S3Key) : undefined;
      const path = typeof fromMetadata === 'string' ? join(root, fromMetadata) : fromKey;
      if (!path || !existsSync(path) || !statSync(path).isDirectory()) {
        throw new TemplateError(
          `${logicalId}: its code is not a folder asset of ${root} (${code?.ZipFile ? 'inline ZipFile code' : `S3Key ${String(code?.S3Key)}`}); only functions whose code the app bundled can run locally.`,
        );
      }
      return path;
    },
  };
}

/** The stack's assets manifest: S3 object key -> the asset's folder in the assembly. */
function readAssetPaths(root: string, stackId: string): Map<string, string> {
  const paths = new Map<string, string>();
  const file = join(root, `${stackId}.assets.json`);
  if (!existsSync(file)) return paths;
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
    files?: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
  };
  for (const asset of Object.values(manifest.files ?? {}))
    for (const destination of Object.values(asset.destinations))
      paths.set(destination.objectKey, join(root, asset.source.path));
  return paths;
}
