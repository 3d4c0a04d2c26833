import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { type ConsumerProps, WebhookPipeline } from 'txonce/cdk';
import { describe, expect, it } from 'vitest';

// Where the pipeline's consumer comes from: txonce's prebuilt example, or code of the user's.

function consumerOf(consumer?: ConsumerProps) {
  const app = new App();
  const stack = new Stack(app, 'consumer-source');
  const pipeline = new WebhookPipeline(stack, 'Pipeline', { consumer });
  const template = Template.fromStack(stack).toJSON();
  const id = stack.getLogicalId(pipeline.consumer.node.defaultChild as never);
  return { app, properties: template.Resources[id].Properties, pipeline };
}

describe('the consumer of WebhookPipeline', () => {
  it('is the example invoice consumer prebuilt in the package by default, no bundling needed', () => {
    const { properties, app } = consumerOf();
    expect(properties.Handler).toBe('index.handler');
    const asset = String(properties.Code.S3Key).replace(/\.zip$/, '');
    const bundle = readFileSync(join(app.outdir, `asset.${asset}`, 'index.mjs'), 'utf8');
    expect(bundle).toContain('invoice.paid');
  });

  it('runs code the user built, with the handler the user names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'txonce-own-consumer-'));
    writeFileSync(join(dir, 'main.mjs'), 'export const run = async () => ({ batchItemFailures: [] });');
    const { properties } = consumerOf({ code: Code.fromAsset(dir), handler: 'main.run' });
    expect(properties.Handler).toBe('main.run');
  });

  it('refuses both an entry and code, and code without a handler, saying which to give', () => {
    const code = Code.fromInline('exports.handler = async () => ({})');
    expect(() => consumerOf({ entry: 'src/consumer.ts', code, handler: 'index.handler' })).toThrow(
      /either `entry` .* or `code`, not both/,
    );
    expect(() => consumerOf({ code })).toThrow(/`consumer.code` needs `consumer.handler`/);
  });
});
