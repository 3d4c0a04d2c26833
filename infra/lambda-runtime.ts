import { Runtime, RuntimeFamily } from 'aws-cdk-lib/aws-lambda';

/** The prebuilt functions are bundled for Node.js 22 (tsup.config.ts): no older runtime runs them. */
const OLDEST_NODE_MAJOR = 22;

/** "nodejs24.x" → 24; undefined for a name of any other form. */
export function nodeMajor(runtime: Runtime): number | undefined {
  const match = /^nodejs(\d+)\.x$/.exec(runtime.name);
  return match ? Number(match[1]) : undefined;
}

/**
 * The newest Node.js runtime the app's own aws-cdk-lib knows. cdk-nag's AwsSolutions-L1 and
 * Serverless-LambdaLatestVersion pick "latest" the same way (the highest `nodejsNN.x` in
 * `Runtime.ALL`), so a function on this runtime passes them on every aws-cdk-lib, older or newer
 * than txonce's. `Runtime.NODEJS_LATEST` and `determineLatestNodeRuntime` lag behind: they name
 * what every region has, which may be a major older than the newest aws-cdk-lib declares.
 */
export function newestNodeRuntime(): Runtime {
  let newest: Runtime | undefined;
  for (const runtime of Runtime.ALL) {
    const major = nodeMajor(runtime);
    if (major !== undefined && (newest === undefined || major > (nodeMajor(newest) as number))) newest = runtime;
  }
  if (!newest) throw new Error('aws-cdk-lib declares no nodejsNN.x Lambda runtime: is it aws-cdk-lib v2?');
  return newest;
}

/** The runtime a construct's functions get: the one given, checked, or the newest Node.js runtime. */
export function functionRuntime(owner: string, runtime: Runtime | undefined): Runtime {
  if (runtime === undefined) return newestNodeRuntime();
  const major = nodeMajor(runtime);
  if (runtime.family !== RuntimeFamily.NODEJS || major === undefined || major < OLDEST_NODE_MAJOR)
    throw new Error(
      `${owner}: runtime must be a Node.js runtime, nodejs${OLDEST_NODE_MAJOR}.x or newer (got ${runtime.name}): ` +
        `txonce's functions are built for Node.js ${OLDEST_NODE_MAJOR}. Leave it out for the newest one your aws-cdk-lib knows.`,
    );
  return runtime;
}
