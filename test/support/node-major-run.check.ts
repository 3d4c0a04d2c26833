import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';

// Run only by vitest.node-majors.config.ts (not a .test.ts file; beside the suites, so `@middy/core` resolves as theirs does): the run is on the Node.js major and with the Middy
// major node-majors.test.ts started it for, so a pass says what it claims.

const middy7 = new URL('../node-majors/node_modules/@middy/core/', import.meta.url);

describe('this Node.js major run', () => {
  it('runs on the Node.js major it was started for', () => {
    expect(process.versions.node.split('.')[0]).toBe(process.env.TXONCE_NODE_MAJOR);
  });

  it('gives the suites the Middy major it was started for', async () => {
    const version = JSON.parse(readFileSync(fileURLToPath(new URL('package.json', middy7)), 'utf8')).version;
    expect(version.split('.')[0]).toBe('7');
    // the suites' `import middy from '@middy/core'` is that copy exactly when the run asked for Middy 7
    const { default: seven } = await import(fileURLToPath(new URL('index.js', middy7)));
    expect(middy === seven).toBe(process.env.TXONCE_MIDDY === '7');
  });
});
