import { readFileSync } from 'node:fs';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { WebhookPipeline, type WebhookPipelineProps } from '../../infra/index.js';
import { INGEST_ENVIRONMENT } from '../../lib/contracts/environment.js';

// cdk-nag (both packs) and cfn-lint run over the bucket in test/infra/stack.test.ts's variants.

const context = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;

function pipeline(props: WebhookPipelineProps = {}) {
  const stack = new Stack(new App({ context }), 'archive');
  const built = new WebhookPipeline(stack, 'Pipeline', props);
  return { stack, built, template: Template.fromStack(stack) };
}

describe('the webhook archive bucket', () => {
  it('is on by default: encrypted, TLS only, never public, owner-enforced, kept 90 days, retained with the data', () => {
    const { template } = pipeline();
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [Match.objectLike({ ExpirationInDays: 90, Status: 'Enabled' })],
        },
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('tells the ingest its bucket and lets it put objects there, nothing else', () => {
    const { stack, built, template } = pipeline();
    const bucketId = stack.getLogicalId(built.archive?.bucket.node.defaultChild as never);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [INGEST_ENVIRONMENT.archiveBucket]: { Ref: bucketId } }) },
    });
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const s3Statements = policies
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .filter((statement) => [statement.Action].flat().some((action: string) => action.startsWith('s3:')));
    expect(s3Statements).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
      },
    ]);
    expect(Object.keys(template.toJSON().Outputs).some((name) => name.includes('ArchiveBucketName'))).toBe(true);
  });

  it('alarms per source when the ingest queued webhooks it could not archive, from its EMF counts', () => {
    const { template } = pipeline();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'txonce',
      MetricName: 'ArchiveWriteFailures',
      Dimensions: Match.arrayWith([{ Name: 'source', Value: 'standard-webhooks' }]),
      Threshold: 1,
      AlarmDescription: Match.stringLikeRegexp('queued but not archived'),
    });
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
    const archiveAlarms = (built: Template) =>
      Object.values(built.findResources('AWS::CloudWatch::Alarm'))
        .filter((alarm) => alarm.Properties.MetricName === 'ArchiveWriteFailures')
        .map((alarm) => alarm.Properties.Dimensions.find((d: { Name: string }) => d.Name === 'source').Value)
        .sort();
    const two = pipeline({
      sources: [
        { name: 'stripe', scheme: 'stripe' },
        { name: 'github', scheme: 'github' },
      ],
    }).template;
    expect(archiveAlarms(two)).toEqual(['github', 'stripe']);
    // one bucket for all the sources: the ingest that routes them knows it
    const [ingest] = Object.values(two.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Environment?.Variables?.WEBHOOK_SOURCES,
    );
    expect(ingest.Properties.Environment.Variables[INGEST_ENVIRONMENT.archiveBucket]).toEqual({
      Ref: expect.stringMatching(/^PipelineArchiveBucket/),
    });
    expect(archiveAlarms(pipeline({ archive: false }).template)).toEqual([]);
  });

  it('keeps what the retention says, and is gone with archive: false', () => {
    pipeline({ archive: { retention: Duration.days(400) } }).template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 400 })] },
    });
    const off = pipeline({ archive: false });
    off.template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(off.built.archive).toBeUndefined();
    const variables = Object.values(off.template.findResources('AWS::Lambda::Function')).map(
      (fn) => fn.Properties.Environment?.Variables ?? {},
    );
    for (const environment of variables) expect(environment[INGEST_ENVIRONMENT.archiveBucket]).toBeUndefined();
  });

  it('follows the pipeline removal policy, emptying the bucket first when the data goes', () => {
    const { template } = pipeline({ removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
  });

  it('refuses a retention S3 cannot keep: less than a day, or not whole days', () => {
    expect(() => pipeline({ archive: { retention: Duration.hours(12) } })).toThrow(
      /archive\.retention must be a whole number of days, at least 1 \(got 12 hours\)/,
    );
    expect(() => pipeline({ archive: { retention: Duration.hours(36) } })).toThrow(/whole number of days/);
  });
});
