// Module resolution hooks for a function's environment: Lambda's Node.js runtime provides the
// AWS SDK v3, so a bundle that leaves `@aws-sdk/*` external finds it there. Locally it comes
// from this repository's node_modules; every other import must be inside the bundle, as on Lambda.
import { pathToFileURL } from 'node:url';

let sdkParent;

export function initialize(data) {
  sdkParent = pathToFileURL(`${data.sdkRoot}/`).href;
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (!specifier.startsWith('@aws-sdk/') || !sdkParent) throw error;
    return nextResolve(specifier, { ...context, parentURL: sdkParent });
  }
}
