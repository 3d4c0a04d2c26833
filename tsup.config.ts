import { cpSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

// Bundled ESM that may require Node built-ins from bundled CommonJS packages (commander, Powertools).
const requireBanner = {
  js: "import { createRequire as txonceCreateRequire } from 'node:module'; const require = txonceCreateRequire(import.meta.url);",
};

/** The package as npm ships it: `npm pack` runs this through `prepack`. */
export default defineConfig([
  {
    // `txonce` and `txonce/cdk`: ESM and CommonJS with types for both. Dependencies and peers stay
    // external, so users' own aws-cdk-lib, constructs and AWS SDK are the ones used.
    entry: { index: 'lib/index.ts', cdk: 'infra/index.ts', local: 'local/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    tsconfig: 'tsconfig.build.json',
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    // import.meta.url in the CommonJS build (the CDK constructs locate their prebuilt functions with it)
    shims: true,
    outDir: 'dist',
  },
  {
    // The `txonce` bin: one file with its CLI libraries inside, so they are not runtime dependencies.
    entry: { cli: 'cli/index.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    outDir: 'dist',
    banner: requireBanner,
  },
  {
    // `txonce local` and `txonce send`: programs the bin starts (commander's stand-alone subcommands)
    entry: { 'txonce-local': 'local/start.ts', 'txonce-send': 'local/send.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    outDir: 'dist',
    banner: requireBanner,
    // what the local stack runs beside its code, found next to the bundles (dist/runtime, dist/java)
    onSuccess: async () => {
      cpSync('local/template/runtime', 'dist/runtime', { recursive: true });
      cpSync('local/java', 'dist/java', { recursive: true });
    },
  },
  ...(['ingest', 'publisher', 'consumer'] as const).map(prebuiltFunction),
]);

/**
 * A function txonce deploys itself, bundled at pack time exactly as Lambda runs it: minified ESM
 * with a source map (sources inside), everything bundled but the AWS SDK, which the runtime has.
 */
function prebuiltFunction(name: string): Options {
  return {
    entry: { index: `functions/${name}/handler.ts` },
    outDir: `dist/functions/${name}`,
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    target: 'node22',
    platform: 'node',
    minify: true,
    sourcemap: true,
    noExternal: [/^(?!@aws-sdk\/)/],
    external: [/^@aws-sdk\//],
    banner: requireBanner,
  };
}
