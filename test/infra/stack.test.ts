import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { TxonceStack, type TxonceStackProps } from '../../infra/stack.js';

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON
type CfnJson = any;
type Resources = Record<string, { Type: string; Properties: Record<string, CfnJson>; DeletionPolicy?: string }>;

/** The feature flags cdk.json sets, so the assertions see what `cdk deploy` deploys. */
const context = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;

function synth(props: TxonceStackProps = {}) {
  const app = new App({ context });
  const stack = new TxonceStack(app, 'txonce-test', props);
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources as Resources };
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
    expect(dlq.Properties.RedriveAllowPolicy.redrivePermission).toBe('byQueue');
    const [sourceArn] = dlq.Properties.RedriveAllowPolicy.sourceQueueArns;
    expect(JSON.stringify(sourceArn)).toContain(queue.Properties.QueueName);
  });

  it('offers FIFO queues as an option', () => {
    const { template } = synth({ fifo: true });
    const resources = template.toJSON().Resources as Resources;
    const queue = Object.values(resources).find(
      (resource) => resource.Type === 'AWS::SQS::Queue' && resource.Properties.RedrivePolicy,
    );
    expect(queue?.Properties.FifoQueue).toBe(true);
    expect(String(queue?.Properties.QueueName)).toMatch(/\.fifo$/);
    const dlq = resources[queue?.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]];
    expect(dlq.Properties.FifoQueue).toBe(true);
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
});

describe('functions', () => {
  it('run on arm64 and the newest Node.js runtime, traced, logging JSON to their own log groups with retention', () => {
    const functions = ofType('AWS::Lambda::Function');
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
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
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
    Object.assign(process.env, env);
    for (const asset of assets) {
      const files = readdirSync(join(outdir, asset));
      expect(files).toContain('index.mjs');
      expect(files).toContain('index.mjs.map');
      const module = await import(pathToFileURL(join(outdir, asset, 'index.mjs')).href);
      expect(typeof module.handler).toBe('function');
    }
    for (const name of Object.keys(env)) delete process.env[name];
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

  it('makes removal policy and deletion protection props (throwaway stages)', () => {
    const { template } = synth({ destroyData: true });
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

  it('lets the ingest only send to its queue and read its secret (and write its logs and traces)', () => {
    expect(actions('Ingest').sort()).toEqual(
      [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
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

  it('lets the publisher read its stream, update its items, publish to its destination and nothing else', () => {
    const actions = statements('OutboxPublisher').flatMap((statement) => [statement.Action].flat());
    expect(actions.sort()).toEqual(
      [
        'dynamodb:DescribeStream',
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
    synth({ scheme: 'stripe' }).template.hasResourceProperties('AWS::ApiGateway::Method', {
      RequestParameters: { 'method.request.header.Stripe-Signature': true },
    });
    main.template.hasResourceProperties('AWS::ApiGateway::Model', {
      ContentType: 'application/json',
      Schema: Match.objectLike({ type: 'object' }),
    });
    const github = synth({ scheme: 'github' }).template;
    github.hasResourceProperties('AWS::ApiGateway::Method', {
      RequestParameters: {
        'method.request.header.X-Hub-Signature-256': true,
        'method.request.header.X-GitHub-Delivery': true,
      },
    });
  });

  it('logs access and execution (without bodies), throttles the stage and traces', () => {
    main.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      TracingEnabled: true,
      MethodSettings: [
        Match.objectLike({
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
        }),
      ],
    });
  });
});

describe('alarms, dashboard and outputs', () => {
  it('alarms on dead letters, queue age, consumer errors and throttles, and ingest 5xx', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
    expect(alarms.map((alarm) => `${alarm.Namespace}:${alarm.MetricName}`).sort()).toEqual(
      [
        'AWS/SQS:ApproximateNumberOfMessagesVisible',
        'AWS/SQS:ApproximateAgeOfOldestMessage',
        'AWS/Lambda:Errors',
        'AWS/Lambda:Throttles',
        'AWS/ApiGateway:5XXError',
        'AWS/SQS:ApproximateNumberOfMessagesVisible', // undelivered outbox messages
        'AWS/Lambda:Errors', // the publisher
        'AWS/Lambda:IteratorAge', // the publisher behind its stream
      ].sort(),
    );
    expect(alarms.every((alarm) => alarm.AlarmActions === undefined)).toBe(true);
  });

  it('sends every alarm to an SNS topic when one is configured', () => {
    const { template } = synth({ alarmEmail: 'ops@example.com' });
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

describe('cdk-nag AwsSolutions', () => {
  it('passes with every finding either fixed or acknowledged with a reason', () => {
    const app = new App({ context });
    new TxonceStack(app, 'nag-clean');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('is really checking: an unencrypted queue without TLS fails synthesis', () => {
    const app = new App({ context });
    const stack = new TxonceStack(app, 'nag-dirty');
    new Queue(stack, 'Careless', { enforceSSL: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/nag-dirty\/Careless[\s\S]*does not require requests to use SSL/);
  });
});
