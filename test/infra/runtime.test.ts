import { readFileSync } from 'node:fs';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import { Code, Runtime, RuntimeFamily } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { IdempotencyTable, Outbox, StreamConsumer, WebhookPipeline } from '../../infra/index.js';

// The default runtime must follow the user's aws-cdk-lib, which may know a newer Node.js runtime
// than this repository's: declare one newer than any it has, as a newer aws-cdk-lib does (a
// Runtime joins Runtime.ALL when it is made; this file runs in a module graph of its own).
const majors = Runtime.ALL.map((runtime) => /^nodejs(\d+)\.x$/.exec(runtime.name)?.[1]).filter(Boolean);
const NEWER = new Runtime(`nodejs${Math.max(...majors.map(Number)) + 2}.x`, RuntimeFamily.NODEJS, {
  supportsInlineCode: true,
});

const context = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;
const inline = { code: Code.fromInline('exports.handler = async () => ({})'), handler: 'index.handler' };

/** A pipeline with an outbox and a stream consumer: every function txonce creates, and aws-cdk-lib's provider. */
function synth(runtime?: Runtime) {
  const app = new App({ context });
  const stack = new Stack(app, 'runtimes');
  new WebhookPipeline(stack, 'Pipeline', { runtime, consumer: inline, outbox: {} });
  new StreamConsumer(stack, 'Deposits', {
    stream: { kinesis: new Stream(stack, 'Events') },
    source: inline,
    idempotency: new IdempotencyTable(stack, 'Dedup'),
    runtime,
  });
  const runtimes = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map(
    (fn) => fn.Properties.Runtime as string,
  );
  // the packs report every finding in one error; only the latest-runtime rules are this file's
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  let report = '';
  try {
    app.synth({ force: true });
  } catch (error) {
    report = String(error);
  }
  const latestRuntimeFindings = report
    .split('\n')
    .filter((line) => /AwsSolutions-L1|Serverless-LambdaLatestVersion/.test(line));
  return { runtimes, latestRuntimeFindings };
}

// The first synth loads aws-cdk-lib: slow on a busy machine.
describe('the Lambda runtime of every function txonce creates', { timeout: 180_000 }, () => {
  it("defaults to the newest Node.js runtime the app's aws-cdk-lib knows, so cdk-nag's latest-runtime rules pass", () => {
    const { runtimes, latestRuntimeFindings } = synth();
    // ingest, consumer, publisher, stream consumer, and the redrive-allow policy's provider
    expect(runtimes).toHaveLength(5);
    expect(new Set(runtimes)).toEqual(new Set([NEWER.name]));
    expect(latestRuntimeFindings).toEqual([]);
  });

  it('is the runtime prop when given, on every function including the redrive-allow provider', () => {
    const { runtimes } = synth(Runtime.NODEJS_22_X);
    expect(runtimes).toHaveLength(5);
    expect(new Set(runtimes)).toEqual(new Set(['nodejs22.x']));
  });

  it('refuses a runtime the prebuilt functions cannot run on, saying which ones they can', () => {
    for (const runtime of [Runtime.NODEJS_20_X, Runtime.PYTHON_3_12])
      for (const create of [
        (stack: Stack) => new WebhookPipeline(stack, 'P', { runtime }),
        (stack: Stack) => new Outbox(stack, 'O', { runtime }),
        (stack: Stack) =>
          new StreamConsumer(stack, 'S', {
            stream: { kinesis: new Stream(stack, 'E') },
            source: inline,
            idempotency: new IdempotencyTable(stack, 'D'),
            runtime,
          }),
      ])
        expect(() => create(new Stack(new App(), 'bad'))).toThrow(
          new RegExp(`runtime must be a Node.js runtime, nodejs22.x or newer \\(got ${runtime.name}\\)`),
        );
  });
});
