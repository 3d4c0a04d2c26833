import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('npx cdk synth', () => {
  it('synthesizes the app offline, without credentials or Docker, and cdk-nag passes', () => {
    const out = mkdtempSync(join(tmpdir(), 'txonce-synth-'));
    try {
      const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
      const result = spawnSync(
        'npx',
        // --build true: dist/ was built by the suite's `npm pack`; cdk.json's rebuild would race other suites
        ['cdk', 'synth', '--no-notices', '-q', '--build', 'true', '-o', out, '-c', 'stage=ci', '-c', 'scheme=stripe'],
        {
          env: { ...env, CDK_DISABLE_VERSION_CHECK: 'true' },
          encoding: 'utf8',
          timeout: 120_000,
        },
      );
      expect(result.status, result.stderr).toBe(0);
      const template = JSON.parse(readFileSync(join(out, 'txonce-ci.template.json'), 'utf8'));
      const method = Object.values(
        template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
      ).find((resource) => resource.Type === 'AWS::ApiGateway::Method');
      expect(method?.Properties.RequestParameters).toEqual({ 'method.request.header.Stripe-Signature': true });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
