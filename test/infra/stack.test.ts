import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readAppContext } from '../../infra/app-context.js';
import { TxonceStack, type TxonceStackProps } from '../../infra/stack.js';

// environment a test stubs is restored even when it fails
afterEach(() => {
  vi.unstubAllEnvs();
});

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON
type CfnJson = any;
type Resources = Record<string, { Type: string; Properties: Record<string, CfnJson>; DeletionPolicy?: string }>;

/** The feature flags cdk.json sets, so the assertions see what `cdk deploy` deploys. */
const context = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;

/** Every variant is synthesized once, under both cdk-nag packs (a finding throws here), and shared. */
function synthesize(props: TxonceStackProps) {
  const app = new App({ context });
  const stack = new TxonceStack(app, 'txonce-test', props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  app.synth();
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources as Resources };
}

const VARIANTS = {
  default: {},
  fifo: { fifo: true },
  stripe: { scheme: 'stripe' },
  github: { scheme: 'github' },
  throwaway: { destroyData: true },
  alarmed: { alarmEmail: 'ops@example.com' },
  production: { production: true, alarmEmail: 'ops@example.com' },
  hardened: { apiLogging: true, webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/webhooks/abc' },
} satisfies Record<string, TxonceStackProps>;
type Variant = keyof typeof VARIANTS;
const synthesized = new Map<Variant, ReturnType<typeof synthesize>>();
function synth(variant: Variant = 'default') {
  let result = synthesized.get(variant);
  if (!result) {
    result = synthesize(VARIANTS[variant]);
    synthesized.set(variant, result);
  }
  return result;
}

let main: ReturnType<typeof synth>;
beforeAll(() => {
  main = synth();
});

const ofType = (type: string) => Object.entries(main.resources).filter(([, resource]) => resource.Type === type);
const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  main.stack.getLogicalId(construct.node.defaultChild as never);

describe('SQS: queue, DLQ and redrive', () => {
  it('moves a message to the DLQ after maxReceiveCount (default 5) receives', () => {
    const queue = main.resources[logicalId(main.stack.pipeline.queue)];
    expect(queue.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(main.stack.pipeline.deadLetterQueue), 'Arn'] },
      maxReceiveCount: 5,
    });
  });

  it('gives the queue a visibility timeout of 6x the consumer timeout', () => {
    const queue = main.resources[logicalId(main.stack.pipeline.queue)];
    const consumer = main.resources[logicalId(main.stack.pipeline.consumer)];
    expect(queue.Properties.VisibilityTimeout).toBe(6 * consumer.Properties.Timeout);
  });

  it('adds the batching window to the visibility timeout', async () => {
    const { WebhookPipeline } = await import('txonce/cdk');
    const stack = new Stack(new App(), 'window');
    new WebhookPipeline(stack, 'P', {
      consumer: { timeout: Duration.seconds(20) },
      maxBatchingWindow: Duration.seconds(30),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 6 * 20 + 30 });
  });

  it('retains the queues and generated secrets with the data unless destroyData, as the tables', () => {
    for (const [variant, policy] of [
      ['default', 'Retain'],
      ['throwaway', 'Delete'],
    ] as const) {
      const resources = Object.values(synth(variant).resources);
      const data = resources.filter((r) =>
        ['AWS::SQS::Queue', 'AWS::SecretsManager::Secret', 'AWS::DynamoDB::GlobalTable'].includes(r.Type),
      );
      expect(data.length).toBe(3 + 2 + 4); // queue, DLQ, outbox failure queue; two secrets; four tables
      for (const resource of data) expect([resource.Type, resource.DeletionPolicy]).toEqual([resource.Type, policy]);
    }
  });

  it('encrypts every queue at rest and refuses requests without TLS', () => {
    const queues = ofType('AWS::SQS::Queue');
    expect(queues).toHaveLength(3); // events, DLQ, outbox failure queue
    for (const [, queue] of queues) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    const policies = ofType('AWS::SQS::QueuePolicy');
    expect(policies).toHaveLength(3);
    for (const [, policy] of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('keeps dead letters longer than the queue keeps messages, and lets only the source queue redrive into it', () => {
    const queue = main.resources[logicalId(main.stack.pipeline.queue)];
    const dlq = main.resources[logicalId(main.stack.pipeline.deadLetterQueue)];
    expect(dlq.Properties.MessageRetentionPeriod).toBe(14 * 86400);
    expect(dlq.Properties.MessageRetentionPeriod).toBeGreaterThan(queue.Properties.MessageRetentionPeriod);
    // set once both queues exist (in the template it would be a cycle), by SetQueueAttributes on the DLQ
    const [[, setter]] = ofType('Custom::AWS');
    const create = JSON.stringify(setter.Properties.Create);
    expect(create).toContain('setQueueAttributes');
    expect(create).toContain(`"Ref":"${logicalId(main.stack.pipeline.deadLetterQueue)}"`);
    expect(create).toContain('byQueue');
    expect(create).toContain(`"Fn::GetAtt":["${logicalId(main.stack.pipeline.queue)}","Arn"]`);
    expect(setter.Properties.Delete).toBeUndefined();
  });

  it('lets CloudFormation name the queues, so two pipelines never collide and a replacement needs no rename', () => {
    for (const variant of ['default', 'fifo'] as const) {
      for (const [, queue] of Object.entries(synth(variant).resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue'))
        expect(queue.Properties.QueueName).toBeUndefined();
    }
  });

  it('offers FIFO queues as an option, with a message group per entity named by paths into the event', () => {
    const { resources, stack } = synth('fifo');
    const queue = Object.values(resources).find(
      (resource) => resource.Type === 'AWS::SQS::Queue' && resource.Properties.RedrivePolicy,
    );
    expect(queue?.Properties.FifoQueue).toBe(true);
    const dlq = resources[queue?.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]];
    expect(dlq.Properties.FifoQueue).toBe(true);
    const ingest = resources[stack.getLogicalId(stack.pipeline.ingest.node.defaultChild as never)];
    expect(JSON.parse(ingest.Properties.Environment.Variables.MESSAGE_GROUP_PATHS)).toEqual(['data.id']);
    const standard = main.resources[logicalId(main.stack.pipeline.ingest)];
    expect(standard.Properties.Environment.Variables.MESSAGE_GROUP_PATHS).toBeUndefined();
  });

  it('takes the message group paths as a prop, and refuses them without FIFO', async () => {
    const { WebhookPipeline } = await import('txonce/cdk');
    const stack = new Stack(new App(), 'groups');
    new WebhookPipeline(stack, 'P', { fifo: true, scheme: 'github', messageGroupPaths: ['issue.id', 'repository.id'] });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MESSAGE_GROUP_PATHS: '["issue.id","repository.id"]' }) },
    });
    expect(() => new WebhookPipeline(new Stack(new App(), 'x'), 'P', { messageGroupPaths: ['issue.id'] })).toThrow(
      /messageGroupPaths applies to FIFO queues only/,
    );
  });
});

describe('the event source mapping', () => {
  it('reports batch item failures, with a batch size of 10 by default', () => {
    main.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      EventSourceArn: { 'Fn::GetAtt': [logicalId(main.stack.pipeline.queue), 'Arn'] },
    });
  });

  it('takes batch size, batching window and maximum concurrency as props', async () => {
    const { WebhookPipeline } = await import('txonce/cdk');
    const stack = new Stack(new App(), 'custom');
    new WebhookPipeline(stack, 'P', { batchSize: 50, maxBatchingWindow: Duration.seconds(5), maxConcurrency: 4 });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 4 },
    });
  });

  it('bounds consumer concurrency by default (10), so a redrive cannot take the whole account', () => {
    main.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(main.stack.pipeline.queue), 'Arn'] },
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('refuses a maximum concurrency SQS does not accept', async () => {
    const { WebhookPipeline } = await import('txonce/cdk');
    for (const maxConcurrency of [1, 1001, 2.5])
      expect(() => new WebhookPipeline(new Stack(new App(), 'c'), 'P', { maxConcurrency })).toThrow(
        /maxConcurrency must be a whole number from 2 to 1000/,
      );
  });
});

describe('functions', () => {
  it('run on arm64 and the newest Node.js runtime, traced, logging JSON to their own log groups with retention', () => {
    // aws-cdk-lib's AwsCustomResource provider (the DLQ's redrive-allow policy) is not txonce's
    const functions = ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('Pipeline'));
    expect(functions).toHaveLength(3); // ingest, consumer, outbox publisher
    for (const [, fn] of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Properties.LoggingConfig.LogFormat).toBe('JSON');
      const group = main.resources[fn.Properties.LoggingConfig.LogGroup.Ref];
      expect(group.Properties.RetentionInDays).toBe(30);
    }
  });

  it('bundle with local esbuild, leave the AWS SDK to the runtime, and load as ES modules', async () => {
    const outdir = main.app.synth().directory;
    const assets = readdirSync(outdir).filter(
      (name) => name.startsWith('asset.') && !readdirSync(join(outdir, name)).includes('index.js'), // not aws-cdk-lib's provider
    );
    expect(assets).toHaveLength(3);
    const env = {
      OUTBOX_TABLE: 'outbox',
      WEBHOOK_SIGNING_SECRET: 'c2VjcmV0IGZvciB0aGUgdGVzdA==',
      QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/q',
      WEBHOOK_SCHEME: 'github',
      WEBHOOK_SECRET: 'local secret',
      DEDUP_TABLE: 'dedup',
      INVOICES_TABLE: 'invoices',
      CUSTOMERS_TABLE: 'customers',
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    for (const asset of assets) {
      const files = readdirSync(join(outdir, asset));
      expect(files).toContain('index.mjs');
      expect(files).toContain('index.mjs.map');
      const module = await import(pathToFileURL(join(outdir, asset, 'index.mjs')).href);
      expect(typeof module.handler).toBe('function');
    }
  });
});

describe('DynamoDB', () => {
  it('keys the dedup table on pk, on demand, with TTL, point-in-time recovery and deletion protection, retained', () => {
    const table = main.resources[logicalId(main.stack.pipeline.idempotency.table as never)];
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect(table.Properties.Replicas[0]).toMatchObject({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    main.template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain' });
  });

  it('protects the outbox table too, expires delivered outbox messages, and encrypts every table the same way', () => {
    const outbox = main.resources[logicalId(main.stack.pipeline.outbox?.table as never)];
    expect(outbox.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(outbox.Properties.Replicas[0].DeletionProtectionEnabled).toBe(true);
    const publisher = main.resources[logicalId(main.stack.pipeline.outbox?.publisher as never)];
    expect(publisher.Properties.Environment.Variables).toMatchObject({
      OUTBOX_TTL_ATTRIBUTE: 'expiresAt',
      DELIVERED_RETENTION_SECONDS: String(7 * 86400),
    });
    // the publisher's retry window (5 minutes by default) decides, with no cap on attempts
    expect(publisher.Properties.Environment.Variables.PUBLISH_MAX_ATTEMPTS).toBeUndefined();
    const tables = ofType('AWS::DynamoDB::GlobalTable');
    expect(tables).toHaveLength(4);
    for (const [, table] of tables)
      expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
  });

  it('refuses replicas of the dedup table unless per-region exactly-once is acknowledged', async () => {
    const { IdempotencyTable } = await import('txonce/cdk');
    const replicated = (acknowledgePerRegionExactlyOnce: boolean) => {
      const app = new App();
      const stack = new Stack(app, 'replicated', { env: { region: 'eu-west-1' } });
      const dedup = new IdempotencyTable(stack, 'Dedup', { acknowledgePerRegionExactlyOnce });
      dedup.table.addReplica({ region: 'us-east-1' });
      return () => app.synth();
    };
    expect(replicated(false)).toThrow(/acknowledgePerRegionExactlyOnce/);
    expect(replicated(true)).not.toThrow();
  });

  it('makes removal policy and deletion protection props (throwaway stages)', () => {
    const { template } = synth('throwaway');
    const tables = Object.values(template.toJSON().Resources as Resources).filter(
      (r) => r.Type === 'AWS::DynamoDB::GlobalTable',
    );
    expect(tables).toHaveLength(4);
    for (const table of tables) {
      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.Properties.Replicas[0].DeletionProtectionEnabled ?? false).toBe(false);
    }
  });
});

const statements = (role: 'Ingest' | 'Consumer' | 'OutboxPublisher') => {
  const [, policy] = ofType('AWS::IAM::Policy').find(([id]) => id.startsWith(`Pipeline${role}Role`)) ?? [];
  return (policy?.Properties.PolicyDocument.Statement ?? []) as { Action: string | string[]; Resource: unknown }[];
};

describe('least privilege', () => {
  const actions = (role: 'Ingest' | 'Consumer') => statements(role).flatMap((statement) => statement.Action);

  it('lets the ingest only send to its queue, read its secret and archive (and write its logs and traces)', () => {
    expect(actions('Ingest').sort()).toEqual(
      [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:PutObject',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    const send = statements('Ingest').find((statement) => [statement.Action].flat().includes('sqs:SendMessage'));
    expect(send?.Resource).toEqual({ 'Fn::GetAtt': [logicalId(main.stack.pipeline.queue), 'Arn'] });
  });

  it('lets the consumer only write its tables, consume its queue and send to its DLQ', () => {
    const consumer = statements('Consumer');
    // the resources an action is allowed on (statements may be merged by minimizePolicies)
    const on = (action: string) =>
      consumer
        .filter((statement) => [statement.Action].flat().includes(action))
        .flatMap((statement) => [statement.Resource].flat().map((resource) => JSON.stringify(resource)));
    expect(on('dynamodb:PutItem')).toHaveLength(4); // dedup + invoices + customers + outbox (tx.emit)
    expect(on('dynamodb:GetItem')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(main.stack.pipeline.idempotency.table as never), 'Arn'] }),
    ]);
    expect(on('sqs:SendMessage')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(main.stack.pipeline.deadLetterQueue), 'Arn'] }),
    ]);
    expect(on('sqs:ReceiveMessage')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(main.stack.pipeline.queue), 'Arn'] }),
    ]);
    expect(actions('Consumer')).not.toContain('dynamodb:Scan');
    expect(actions('Consumer')).not.toContain('dynamodb:DeleteTable');
  });

  it('uses no wildcard action anywhere, and a wildcard resource only where X-Ray requires it', () => {
    for (const role of ['Ingest', 'Consumer', 'OutboxPublisher'] as const) {
      for (const statement of statements(role)) {
        for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
        if (statement.Resource === '*')
          expect([statement.Action].flat().every((action) => action.startsWith('xray:'))).toBe(true);
      }
    }
  });
});

describe('the outbox', () => {
  it('has a table with a NEW_IMAGE stream, and the publisher reads it from the start, INSERTs only', () => {
    const table = main.resources[logicalId(main.stack.pipeline.outbox?.table as never)];
    expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    main.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(main.stack.pipeline.outbox?.table as never), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [logicalId(main.stack.pipeline.outbox?.failureQueue as never), 'Arn'] },
        },
      },
    });
  });

  it('lets the publisher read its stream, read and update its items, publish to its destination and nothing else', () => {
    const actions = statements('OutboxPublisher').flatMap((statement) => [statement.Action].flat());
    expect(actions.sort()).toEqual(
      [
        'dynamodb:DescribeStream',
        'dynamodb:GetItem',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'dynamodb:UpdateItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'sns:Publish',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    const publish = statements('OutboxPublisher').find((statement) => statement.Action === 'sns:Publish');
    expect(publish?.Resource).toEqual({ Ref: logicalId(main.stack.receipts) });
  });

  it('grants each kind of destination only its own call', async () => {
    const { WebhookPipeline } = await import('txonce/cdk');
    const { EventBus } = await import('aws-cdk-lib/aws-events');
    const stack = new Stack(new App(), 'destinations');
    new WebhookPipeline(stack, 'P', {
      outbox: { eventBuses: [new EventBus(stack, 'Bus')], queues: [new Queue(stack, 'Target', { enforceSSL: true })] },
    });
    const policies = Object.entries(Template.fromStack(stack).toJSON().Resources as Resources).filter(
      ([id, resource]) => resource.Type === 'AWS::IAM::Policy' && id.includes('Publisher'),
    );
    const actions = policies.flatMap(([, policy]) =>
      (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((statement) =>
        [statement.Action].flat(),
      ),
    );
    expect(actions).toContain('events:PutEvents');
    expect(actions.filter((action) => action === 'sqs:SendMessage')).toHaveLength(2); // the target and the failure queue
    expect(actions).not.toContain('sns:Publish');
  });

  it('lets the consumer emit: PutItem on the outbox table, and tells it the table', () => {
    const consumer = main.resources[logicalId(main.stack.pipeline.consumer)];
    expect(consumer.Properties.Environment.Variables.OUTBOX_TABLE).toEqual({
      Ref: logicalId(main.stack.pipeline.outbox?.table as never),
    });
    expect(consumer.Properties.Environment.Variables.RECEIPTS_TOPIC_ARN).toEqual({
      Ref: logicalId(main.stack.receipts),
    });
  });

  it('puts the publisher and undelivered messages on the dashboard', () => {
    const [, dashboard] = ofType('AWS::CloudWatch::Dashboard')[0];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(body).toContain('Outbox publisher');
    expect(body).toContain('Undelivered outbox messages');
  });
});

describe('API Gateway', () => {
  it('is a regional REST API with POST /webhooks proxied to the ingest function', () => {
    main.template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    main.template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'webhooks' });
    main.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      Integration: { Type: 'AWS_PROXY' },
    });
  });

  it("validates requests: the scheme's signature headers are required (where it has one spelling) and the body must be a JSON object", () => {
    main.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    // Standard Webhooks: webhook-* or Svix's svix-* headers, so the ingest checks which are there
    const [[, standardMethod]] = ofType('AWS::ApiGateway::Method').filter(
      ([, method]) => method.Properties.HttpMethod === 'POST',
    );
    expect(standardMethod.Properties.RequestParameters ?? {}).toEqual({});
    synth('stripe').template.hasResourceProperties('AWS::ApiGateway::Method', {
      RequestParameters: { 'method.request.header.Stripe-Signature': true },
    });
    main.template.hasResourceProperties('AWS::ApiGateway::Model', {
      ContentType: 'application/json',
      Schema: Match.objectLike({ type: 'object' }),
    });
    const github = synth('github').template;
    github.hasResourceProperties('AWS::ApiGateway::Method', {
      RequestParameters: {
        'method.request.header.X-Hub-Signature-256': true,
        'method.request.header.X-GitHub-Delivery': true,
      },
    });
  });

  it('creates no account- or region-wide resource: no API Gateway account setting, no CloudWatch role', () => {
    for (const variant of Object.keys(VARIANTS) as Variant[]) {
      const types = Object.values(synth(variant).resources).map((resource) => resource.Type);
      expect(types).not.toContain('AWS::ApiGateway::Account');
    }
    expect(Object.keys(main.resources).some((id) => id.includes('CloudWatchRole'))).toBe(false);
  });

  it('logs nothing through API Gateway by default (that needs the account role), throttles the stage and traces', () => {
    main.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.absent(),
      TracingEnabled: true,
      MethodSettings: [
        Match.objectLike({
          LoggingLevel: 'OFF',
          DataTraceEnabled: false,
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
        }),
      ],
    });
  });

  it('turns on access and execution logs (without bodies) when asked, and associates a WAF web ACL when given', () => {
    const { template } = synth('hardened');
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: [Match.objectLike({ LoggingLevel: 'ERROR', DataTraceEnabled: false })],
    });
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: VARIANTS.hardened.webAclArn,
    });
    expect(ofType('AWS::WAFv2::WebACLAssociation')).toHaveLength(0);
  });

  it('throttles GitHub, which never retries a 429, far above a burst', () => {
    synth('github').template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 })],
    });
  });
});

describe('app context', () => {
  const read = (values: Record<string, string>) => readAppContext((name) => values[name]);

  it('reads the documented defaults', () => {
    expect(read({})).toMatchObject({ stage: 'dev', scheme: 'standard-webhooks', fifo: false, production: false });
    expect(read({ stage: 'prod' }).production).toBe(true);
  });

  it('refuses an unknown scheme, a bad flag or a bad email with one clear message', () => {
    expect(() => read({ scheme: 'bogus' })).toThrow(
      /Invalid CDK context: scheme must be one of standard-webhooks, stripe, github \(got "bogus"\)/,
    );
    expect(() => read({ fifo: 'yes' })).toThrow(/fifo must be true or false/);
    expect(() => read({ alarmEmail: 'ops' })).toThrow(/alarmEmail must be an email address/);
    expect(() => read({ stage: 'prod', destroyData: 'true' })).toThrow(/refused for a production stage/);
  });
});

describe('alarms, dashboard and outputs', () => {
  it('alarms on dead letters, queue age, consumer errors and throttles, ingest 5xx, 4xx spikes and signature rejections', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
    const named = alarms.map((alarm) =>
      alarm.Metrics ? `rate:${JSON.stringify(alarm.Metrics)}` : `${alarm.Namespace}:${alarm.MetricName}`,
    );
    const rejections = named.filter((name) => name.startsWith('rate:'));
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toContain('SignatureRejections');
    expect(named.filter((name) => !name.startsWith('rate:')).sort()).toEqual(
      [
        'AWS/ApiGateway:4XXError',
        'AWS/SQS:ApproximateNumberOfMessagesVisible',
        'AWS/SQS:ApproximateAgeOfOldestMessage',
        'AWS/Lambda:Errors',
        'AWS/Lambda:Throttles',
        'AWS/ApiGateway:5XXError',
        'txonce:ArchiveWriteFailures',
        'AWS/SQS:ApproximateNumberOfMessagesVisible', // undelivered outbox messages
        'AWS/Lambda:Errors', // the publisher
        'AWS/Lambda:IteratorAge', // the publisher behind its stream
      ].sort(),
    );
    expect(alarms.every((alarm) => alarm.AlarmActions === undefined)).toBe(true);
  });

  it("counts the ingest's 401s from its EMF metrics, with the source's dimension", () => {
    const [, alarm] = ofType('AWS::CloudWatch::Alarm').find(([id]) => id.includes('SignatureRejections')) ?? [];
    const metrics = JSON.stringify(alarm?.Properties.Metrics);
    expect(metrics).toContain('"MetricName":"SignatureRejections","Namespace":"txonce"');
    expect(metrics).toContain('{"Name":"source","Value":"standard-webhooks"}');
  });

  it('warns at synth when alarms notify no one, and fails a production stage', () => {
    const warnings = Annotations.fromStack(main.stack).findWarning(
      '*',
      Match.stringLikeRegexp('alarms have no action'),
    );
    expect(warnings).toHaveLength(1);
    // what a user's own app can do: this repository's -c alarmEmail does nothing there
    expect(JSON.stringify(warnings[0].entry.data)).toMatch(
      /Give WebhookPipeline an alarmTopic: an SNS topic of your stack/,
    );
    expect(JSON.stringify(warnings[0].entry.data)).not.toMatch(/alarmEmail/);
    expect(
      Annotations.fromStack(synth('alarmed').stack).findWarning('*', Match.stringLikeRegexp('alarms have no action')),
    ).toHaveLength(0);
    const app = new App({ context });
    new TxonceStack(app, 'prod-silent', { production: true });
    expect(() => app.synth()).toThrow(/alarms have no action/);
    expect(() => synth('production')).not.toThrow();
  });

  it('sends every alarm to an SNS topic when one is configured', () => {
    const { template } = synth('alarmed');
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    const alarms = Object.values(template.toJSON().Resources as Resources).filter(
      (r) => r.Type === 'AWS::CloudWatch::Alarm',
    );
    expect(alarms.every((alarm) => alarm.Properties.AlarmActions?.length === 1)).toBe(true);
  });

  it("puts the consumer's EMF outcome metrics on the dashboard", () => {
    const [, dashboard] = ofType('AWS::CloudWatch::Dashboard')[0];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const metric of ['committed', 'duplicate', 'failed', 'deadLettered'])
      expect(body).toContain(`\\"${metric}\\"`);
    expect(body).toContain('txonce-consumer');
  });

  it('outputs the webhook URL, queue URLs, DLQ ARN, table name, secret and dashboard', () => {
    const outputs = Object.keys(main.template.toJSON().Outputs);
    for (const name of [
      'WebhookUrl',
      'QueueUrl',
      'DeadLetterQueueUrl',
      'DeadLetterQueueArn',
      'IdempotencyTableName',
      'WebhookSecretArn',
      'DashboardName',
    ]) {
      expect(outputs.some((output) => output.includes(name))).toBe(true);
    }
  });
});

describe('cdk-nag AwsSolutions and Serverless, and cfn-lint', () => {
  it('passes both packs in every variant, with every finding either fixed or acknowledged with a reason', () => {
    for (const variant of Object.keys(VARIANTS) as Variant[]) expect(() => synth(variant)).not.toThrow();
  });

  it('is really checking Serverless too: a function without tracing fails synthesis', async () => {
    const { Function: Fn, Code, Runtime } = await import('aws-cdk-lib/aws-lambda');
    const app = new App({ context });
    const stack = new Stack(app, 'serverless-dirty');
    new Fn(stack, 'Bare', { runtime: Runtime.NODEJS_24_X, handler: 'index.handler', code: Code.fromInline('x') });
    Validations.of(app).addPlugins(new ServerlessChecks(app));
    expect(() => app.synth()).toThrow(/Serverless-Lambda/);
  });

  it('cfn-lint reports no errors in any variant', () => {
    const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0)
      throw new Error(
        'cfn-lint is not installed or does not run: install it with `pip install cfn-lint` (1.x) to run this test.',
      );
    const dir = mkdtempSync(join(tmpdir(), 'txonce-cfn-lint-'));
    try {
      const files = (Object.keys(VARIANTS) as Variant[]).map((variant) => {
        const file = join(dir, `${variant}.template.json`);
        writeFileSync(file, JSON.stringify(synth(variant).template.toJSON()));
        return file;
      });
      const lint = spawnSync('cfn-lint', ['--format', 'parseable', '--', ...files], { encoding: 'utf8' });
      const errors = lint.stdout.split('\n').filter((line) => /:E\d+:/.test(line));
      expect(errors, lint.stdout + lint.stderr).toEqual([]);
      expect(lint.status ?? 0, lint.stdout + lint.stderr).toSatisfy((status: number) => (status & 2) === 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('is really checking: an unencrypted queue without TLS fails synthesis', () => {
    const app = new App({ context });
    const stack = new TxonceStack(app, 'nag-dirty');
    new Queue(stack, 'Careless', { enforceSSL: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/nag-dirty\/Careless[\s\S]*does not require requests to use SSL/);
  });
});
