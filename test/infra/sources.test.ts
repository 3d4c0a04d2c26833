import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { WebhookPipeline, type WebhookPipelineProps } from 'txonce/cdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAppContext } from '../../infra/app-context.js';
import { acmeScheme } from '../support/acme-scheme.js';

// One pipeline, several webhook sources: Stripe, GitHub and Shopify each at /webhooks/<name>, with
// a secret, namespace and rejection alarm of its own, into one queue and one consumer.

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON
type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

const context = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;
const THREE: WebhookPipelineProps = {
  sources: [
    { name: 'stripe', scheme: 'stripe' },
    { name: 'github', scheme: 'github' },
    { name: 'shopify', scheme: 'shopify' },
  ],
};

function synthesize(props: WebhookPipelineProps, nag = true) {
  const app = new App({ context });
  const stack = new Stack(app, 'sources-test');
  const pipeline = new WebhookPipeline(stack, 'Pipeline', props);
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  app.synth();
  const template = Template.fromStack(stack);
  return { stack, pipeline, template, resources: template.toJSON().Resources as Resources };
}

let three: ReturnType<typeof synthesize>;
beforeAll(() => {
  three = synthesize(THREE);
});

const ofType = (type: string) => Object.values(three.resources).filter((resource) => resource.Type === type);
const idOf = (construct: { node: { defaultChild?: unknown } }) =>
  three.stack.getLogicalId(construct.node.defaultChild as never);

describe('WebhookPipeline with Stripe, GitHub and Shopify sources', () => {
  it('passes cdk-nag AwsSolutions and Serverless, every finding fixed or acknowledged', () => {
    expect(three.template).toBeDefined(); // a finding would have thrown in synth
  });

  it('cfn-lint reports no errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'txonce-sources-lint-'));
    try {
      const file = join(dir, 'sources.template.json');
      writeFileSync(file, JSON.stringify(three.template.toJSON()));
      const lint = spawnSync('cfn-lint', ['--format', 'parseable', '--', file], { encoding: 'utf8' });
      if (lint.error) throw new Error('cfn-lint is not installed: `pip install cfn-lint` (1.x) to run this test.');
      expect(
        lint.stdout.split('\n').filter((line) => /:E\d+:/.test(line)),
        lint.stdout + lint.stderr,
      ).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('gives each source its own path, all into the one ingest, with its signature headers required', () => {
    const paths = Object.fromEntries(
      ofType('AWS::ApiGateway::Resource').map((resource) => [resource.Properties.PathPart, resource]),
    );
    expect(Object.keys(paths).sort()).toEqual(['github', 'shopify', 'stripe', 'webhooks']);
    const methods = ofType('AWS::ApiGateway::Method');
    expect(methods).toHaveLength(3);
    const ingest = idOf(three.pipeline.ingest);
    expect(methods.every((method) => JSON.stringify(method.Properties.Integration.Uri).includes(ingest))).toBe(true);
    const required = methods.map((method) => Object.keys(method.Properties.RequestParameters ?? {}).sort());
    expect(required).toContainEqual(['method.request.header.Stripe-Signature']);
    expect(required).toContainEqual([
      'method.request.header.X-GitHub-Delivery',
      'method.request.header.X-Hub-Signature-256',
    ]);
    // Shopify sends one of two header spellings: the ingest checks it, not the validator
    expect(required).toContainEqual([]);
    expect(three.pipeline.webhookPaths).toEqual({
      stripe: '/webhooks/stripe',
      github: '/webhooks/github',
      shopify: '/webhooks/shopify',
    });
  });

  it('gives each source its own secret, readable by the ingest alone, and lists the sources in its environment', () => {
    expect(ofType('AWS::SecretsManager::Secret')).toHaveLength(3);
    const ingest = three.resources[idOf(three.pipeline.ingest)].Properties.Environment.Variables;
    expect(ingest.WEBHOOK_SCHEME).toBeUndefined();
    const rendered = JSON.stringify(ingest.WEBHOOK_SOURCES);
    for (const name of ['stripe', 'github', 'shopify']) {
      expect(rendered).toContain(`\\"name\\":\\"${name}\\"`);
      const secret = three.stack.getLogicalId(three.pipeline.webhookSecrets[name].node.defaultChild as never);
      expect(rendered).toContain(secret);
    }
  });

  it('throttles the stage for senders that retry, and gives GitHub, which never retries a 429, its own higher limits', () => {
    const [stage] = ofType('AWS::ApiGateway::Stage');
    const settings = stage.Properties.MethodSettings;
    expect(settings).toContainEqual(
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 50,
        ThrottlingBurstLimit: 100,
      }),
    );
    expect(settings).toContainEqual(
      expect.objectContaining({
        HttpMethod: 'POST',
        ResourcePath: '/~1webhooks~1github',
        ThrottlingRateLimit: 500,
        ThrottlingBurstLimit: 1000,
      }),
    );
    expect(settings).toHaveLength(2);
  });

  it("names the consumer's namespaces: IDEMPOTENCY_SOURCES, not a single IDEMPOTENCY_SOURCE", () => {
    const consumer = three.resources[idOf(three.pipeline.consumer)].Properties.Environment.Variables;
    expect(consumer.IDEMPOTENCY_SOURCES).toBe('stripe,github,shopify');
    expect(consumer.IDEMPOTENCY_SOURCE).toBeUndefined();
  });

  it("alarms on each source's signature rejections, from the ingest's EMF counts with that source's dimension", () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').filter((alarm) =>
      JSON.stringify(alarm.Properties.Metrics ?? []).includes('SignatureRejections'),
    );
    expect(alarms).toHaveLength(3);
    for (const name of ['stripe', 'github', 'shopify']) {
      const alarm = alarms.find((candidate) => candidate.Properties.AlarmDescription.includes(`the ${name} webhooks`));
      const metrics = JSON.stringify(alarm?.Properties.Metrics);
      expect(metrics).toContain(`{"Name":"source","Value":"${name}"}`);
      expect(metrics).toContain('WebhookRequests');
    }
    expect(ofType('AWS::Logs::MetricFilter')).toHaveLength(0);
  });

  it('takes any preset or a definition, a form body and a URL per source', () => {
    const { resources, pipeline, stack } = synthesize(
      {
        sources: [
          { name: 'sms', scheme: 'twilio', body: 'form', url: 'https://hooks.example.com/prod/webhooks/sms' },
          { name: 'acme', scheme: acmeScheme },
        ],
      },
      false,
    );
    const env =
      resources[stack.getLogicalId(pipeline.ingest.node.defaultChild as never)].Properties.Environment.Variables;
    const rendered = JSON.stringify(env.WEBHOOK_SOURCES);
    expect(rendered).toContain('\\"body\\":\\"form\\"');
    expect(rendered).toContain('\\"url\\":\\"https://hooks.example.com/prod/webhooks/sms\\"');
    expect(rendered).toContain('\\"signature\\":{\\"header\\":\\"x-acme-signature\\"');
    const methods = Object.values(resources).filter((resource) => resource.Type === 'AWS::ApiGateway::Method');
    const sms = methods.find(
      (method) =>
        JSON.stringify(method.Properties.RequestParameters).includes('X-Twilio') ||
        JSON.stringify(method.Properties.RequestParameters).includes('x-twilio'),
    );
    expect(sms?.Properties.RequestModels).toBeUndefined(); // a form body is not a JSON object
  });

  it('refuses, in one message, a bad or repeated name, an unknown scheme and single-source props beside sources', () => {
    expect(() =>
      synthesize(
        {
          scheme: 'stripe',
          sources: [
            { name: 'a/b', scheme: 'stripe' },
            { name: 'gh', scheme: 'paypal' as never },
            { name: 'gh', scheme: 'github' },
          ],
        },
        false,
      ),
    ).toThrow(
      /WebhookPipeline: scheme describe a single source: with `sources`, give them per source; sources\[0\] \("a\/b"\): name must be .*; sources\[1\] \("gh"\): verifyWebhook: scheme must be one of .*; sources\[2\] \("gh"\): the name "gh" is given twice\./,
    );
  });

  it("refuses at synth a set of sources whose ingest environment would pass Lambda's 4 KB", () => {
    const big = {
      name: 'big',
      algorithm: 'sha256',
      encoding: 'hex',
      signature: { header: `x-${'long-header-name-'.repeat(20)}`, format: { type: 'plain' } },
      id: { bodyPath: 'id' },
      signed: [{ value: 'body' }],
    } as const;
    const sources = Array.from({ length: 8 }, (_, index) => ({
      name: `big${index}`,
      scheme: { ...big, name: `big${index}` },
    }));
    expect(() => synthesize({ sources }, false)).toThrow(/Lambda allows 4096. Use presets by name/);
  });
});

describe("this repository's app: -c sources=...", () => {
  const read = (values: Record<string, string>) => readAppContext((name) => values[name]);

  it('names each source after its preset', () => {
    expect(read({ sources: 'stripe, github,shopify' }).sources).toEqual(['stripe', 'github', 'shopify']);
    expect(read({}).sources).toBeUndefined();
  });

  it('refuses a name that is no preset, and a scheme or source beside sources', () => {
    expect(() => read({ sources: 'stripe,paypal' })).toThrow(
      /sources: "paypal" is not a preset \(one of standard-webhooks, stripe/,
    );
    expect(() => read({ sources: 'stripe', scheme: 'github' })).toThrow(/leave scheme and source out/);
  });
});
