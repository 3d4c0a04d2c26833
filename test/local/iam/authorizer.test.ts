import { describe, expect, it } from 'vitest';
import { IamAuthorizer, type IamModel } from '../../../local/iam/authorizer.js';
import { checkEventSourceAccess } from '../../../local/iam/event-source-access.js';
import { readExecutionRoles } from '../../../local/iam/execution-roles.js';
import { iamReferences } from '../../../local/iam/iam-references.js';
import { readResourcePolicies } from '../../../local/iam/resource-policies.js';
import type { ServiceCall } from '../../../local/iam/service-call.js';
import { formatIamUsageReport, iamUsageReport } from '../../../local/iam/usage-report.js';
import type { StackTemplate } from '../../../local/template/cloud-assembly.js';
import { UnsupportedResourceError } from '../../../local/template/emulations.js';
import type { ProvisionedResources } from '../../../local/template/provision-template.js';

// The roles and resource policies of a template, evaluated with iam-simulate as AWS would:
// the unit under the local stack's IAM enforcement (test/local-iam.test.ts runs it whole).

const ACCOUNT = '123456789012';
const region = 'us-east-1';
const queueUrl = (name: string) => `http://127.0.0.1:4566/${ACCOUNT}/${name}`;
const allow = (Action: unknown, Resource: unknown) => ({ Effect: 'Allow', Action, Resource });
const lambdaTrust = {
  Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }],
};

function template(extra: StackTemplate['Resources'] = {}): StackTemplate {
  return {
    Resources: {
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['FnRole', 'Arn'] } } },
      FnRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: lambdaTrust,
          ManagedPolicyArns: [
            {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
              ],
            },
            { Ref: 'Extra' },
          ],
          Policies: [
            {
              PolicyName: 'inline',
              PolicyDocument: { Statement: [allow('sqs:SendMessage', { 'Fn::GetAtt': ['Dlq', 'Arn'] })] },
            },
          ],
        },
      },
      FnPolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'default',
          Roles: [{ Ref: 'FnRole' }],
          PolicyDocument: {
            Statement: [allow(['dynamodb:PutItem', 'dynamodb:GetItem'], { 'Fn::GetAtt': ['Dedup', 'Arn'] })],
          },
        },
      },
      Extra: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: { PolicyDocument: { Statement: [allow('kms:Decrypt', { 'Fn::GetAtt': ['Key', 'Arn'] })] } },
      },
      Dedup: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      Dlq: { Type: 'AWS::SQS::Queue', Properties: {} },
      Sealed: { Type: 'AWS::SQS::Queue', Properties: { KmsMasterKeyId: { Ref: 'Key' } } },
      Key: {
        Type: 'AWS::KMS::Key',
        Properties: {
          KeyPolicy: {
            Statement: [
              { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
            ],
          },
        },
      },
      ...extra,
    },
  };
}

/** The template with a queue policy of one statement on its DLQ. */
const withDlqPolicy = (statement: Record<string, unknown>) =>
  template({
    DlqPolicy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: { Queues: [{ Ref: 'Dlq' }], PolicyDocument: { Statement: [statement] } },
    },
  });

function resources(): ProvisionedResources {
  const queues = new Map(
    ['Dlq', 'Sealed'].map((id) => [
      id,
      { name: `s-${id}`, url: queueUrl(`s-${id}`), arn: `arn:aws:sqs:${region}:${ACCOUNT}:s-${id}` },
    ]),
  );
  const tables = new Map([['Dedup', { name: 's-Dedup', arn: 'arn:aws:dynamodb:ddblocal:000000000000:table/s-Dedup' }]]);
  return {
    tables,
    queues,
    topics: new Map(),
    secrets: new Map(),
    buckets: new Map(),
    references: {
      ref: (id) => tables.get(id)?.name ?? queues.get(id)?.url,
      getAtt: (id, attribute) => (attribute === 'Arn' ? (tables.get(id)?.arn ?? queues.get(id)?.arn) : undefined),
    },
  };
}

function model(stack: StackTemplate): IamModel {
  const references = iamReferences({ template: stack, resources: resources(), region, account: ACCOUNT });
  const roles = readExecutionRoles({
    template: stack,
    stackName: 's',
    account: ACCOUNT,
    functions: new Map([['Fn', 's-Fn']]),
    references,
  });
  const resourcePolicies = readResourcePolicies({ template: stack, references, region, account: ACCOUNT });
  return {
    rolesByAccessKey: new Map([['FN', roles.get('Fn') as never]]),
    resourcePolicies,
    arns: {
      region,
      account: ACCOUNT,
      secretArn: (id) => id,
      encryptionKey: (arn) => resourcePolicies.encryptionKey(arn),
    },
  };
}

const call = (
  signingName: string,
  operation: string,
  input: Record<string, unknown>,
  accessKeyId = 'FN',
): ServiceCall => ({
  accessKeyId,
  signingName,
  operation,
  protocol: 'json',
  input,
});
const principal = `arn:aws:sts::${ACCOUNT}:assumed-role/s-FnRole/s-Fn`;

describe('a function’s execution role, as synthesized', () => {
  it('holds its inline, attached, customer managed and AWS managed policies, references resolved to ARNs as AWS gives them', () => {
    const stack = template();
    const references = iamReferences({ template: stack, resources: resources(), region, account: ACCOUNT });
    const role = readExecutionRoles({
      template: stack,
      stackName: 's',
      account: ACCOUNT,
      functions: new Map([['Fn', 's-Fn']]),
      references,
    }).get('Fn');
    expect(role).toMatchObject({ roleArn: `arn:aws:iam::${ACCOUNT}:role/s-FnRole`, sessionArn: principal });
    expect(role?.policies.map((policy) => policy.name)).toEqual([
      'inline',
      'FnPolicy',
      'AWSLambdaBasicExecutionRole',
      'Extra',
    ]);
    expect(role?.policies[1].document.Statement).toEqual([
      allow(['dynamodb:PutItem', 'dynamodb:GetItem'], `arn:aws:dynamodb:${region}:${ACCOUNT}:table/s-Dedup`),
    ]);
    expect(role?.policies[2].document.Statement).toEqual([
      allow(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], '*'),
    ]);
  });

  it('an AWS managed policy the local stack does not carry stops the start, naming it and the way out', () => {
    const stack = template();
    (stack.Resources.FnRole.Properties as { ManagedPolicyArns: unknown[] }).ManagedPolicyArns.push(
      'arn:aws:iam::aws:policy/AmazonS3FullAccess',
    );
    expect(() => model(stack)).toThrow(UnsupportedResourceError);
    expect(() => model(stack)).toThrow(
      /FnRole \(AWS::IAM::Role\) ManagedPolicyArns: arn:aws:iam::aws:policy\/AmazonS3FullAccess: its document is not known locally.*run with iam: 'off' to skip IAM/,
    );
  });
});

describe('authorizing a function’s calls', () => {
  it('allows what the role grants and denies the rest in the words AWS uses', async () => {
    const authorizer = new IamAuthorizer(() => model(template()));
    expect(await authorizer.authorize(call('dynamodb', 'PutItem', { TableName: 's-Dedup' }))).toMatchObject({
      kind: 'allowed',
    });
    expect(await authorizer.authorize(call('dynamodb', 'UpdateItem', { TableName: 's-Dedup' }))).toMatchObject({
      kind: 'denied',
      denial: {
        message: `User: ${principal} is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:${region}:${ACCOUNT}:table/s-Dedup because no identity-based policy allows the dynamodb:UpdateItem action`,
      },
    });
    expect(await authorizer.authorize(call('dynamodb', 'PutItem', { TableName: 's-Dedup' }, 'local'))).toEqual({
      kind: 'not a function',
    });
  });

  it('evaluates a queue policy: its explicit deny wins over the role’s allow', async () => {
    const stack = withDlqPolicy({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': ['Dlq', 'Arn'] },
    });
    const authorizer = new IamAuthorizer(() => model(stack));
    expect(await authorizer.authorize(call('sqs', 'SendMessage', { QueueUrl: queueUrl('s-Dlq') }))).toMatchObject({
      kind: 'denied',
      denial: {
        message: expect.stringMatching(
          /sqs:SendMessage on resource: .*:s-Dlq with an explicit deny in a resource-based policy$/,
        ),
      },
    });
  });

  it('a queue policy that denies plain HTTP does not deny the local calls, which stand for the SDK’s HTTPS', async () => {
    const stack = withDlqPolicy({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'sqs:*',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(
      await new IamAuthorizer(() => model(stack)).authorize(
        call('sqs', 'SendMessage', { QueueUrl: queueUrl('s-Dlq') }),
      ),
    ).toMatchObject({
      kind: 'allowed',
    });
  });

  it('a queue encrypted with a customer managed key needs the key’s rights too, and its key policy must let IAM grant them', async () => {
    const send = call('sqs', 'SendMessage', { QueueUrl: queueUrl('s-Sealed') });
    const sealedSend = template({
      SealedSend: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'p',
          Roles: [{ Ref: 'FnRole' }],
          PolicyDocument: { Statement: [allow('sqs:SendMessage', '*')] },
        },
      },
    });
    // the role may send and decrypt, not generate data keys
    expect(await new IamAuthorizer(() => model(sealedSend)).authorize(send)).toMatchObject({
      kind: 'denied',
      denial: { action: 'kms:GenerateDataKey', resource: `arn:aws:kms:${region}:${ACCOUNT}:key/Key` },
    });
    (
      sealedSend.Resources.SealedSend.Properties as { PolicyDocument: { Statement: unknown[] } }
    ).PolicyDocument.Statement.push(allow('kms:GenerateDataKey', '*'));
    expect(await new IamAuthorizer(() => model(sealedSend)).authorize(send)).toMatchObject({ kind: 'allowed' });
    // a key policy that does not delegate to the account's IAM: the role's grant is not enough
    (sealedSend.Resources.Key.Properties as { KeyPolicy: unknown }).KeyPolicy = {
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/admin` }, Action: 'kms:*', Resource: '*' },
      ],
    };
    expect(await new IamAuthorizer(() => model(sealedSend)).authorize(send)).toMatchObject({
      kind: 'denied',
      denial: {
        message: expect.stringMatching(
          /kms:GenerateDataKey on resource: .*key\/Key because no resource-based policy allows the kms:GenerateDataKey action$/,
        ),
      },
    });
  });

  it('decides each (role, action, resource) once: the same call again is answered from the cache', async () => {
    const current = model(template());
    const authorizer = new IamAuthorizer(() => current);
    for (let attempt = 0; attempt < 50; attempt++)
      await authorizer.authorize(call('dynamodb', 'GetItem', { TableName: 's-Dedup' }));
    expect(authorizer.evaluations).toBe(1);
  });
});

describe('event source mappings, polled with the function’s role', () => {
  const withMapping = (grants: string[]) =>
    template({
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { FunctionName: { Ref: 'Fn' }, EventSourceArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] } },
      },
      PollGrant: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'poll',
          Roles: [{ Ref: 'FnRole' }],
          PolicyDocument: { Statement: [allow(grants, { 'Fn::GetAtt': ['Dlq', 'Arn'] })] },
        },
      },
    });
  const check = async (stack: StackTemplate) => {
    const current = model(stack);
    const authorizer = new IamAuthorizer(() => current);
    const refusals = await checkEventSourceAccess({
      template: stack,
      references: iamReferences({ template: stack, resources: resources(), region, account: ACCOUNT }),
      rolesByFunction: new Map([['Fn', current.rolesByAccessKey.get('FN') as never]]),
      arns: current.arns,
      authorizer,
    });
    return { refusals, used: [...(authorizer.used.get('Fn')?.values() ?? [])] };
  };

  it('a role that cannot receive from the queue is refused as CreateEventSourceMapping refuses it', async () => {
    const { refusals } = await check(withMapping(['sqs:DeleteMessage', 'sqs:GetQueueAttributes']));
    expect(refusals).toEqual([
      {
        mapping: 'Mapping',
        message: expect.stringMatching(
          /^The provided execution role does not have permissions to call ReceiveMessage on SQS \(User: .* is not authorized to perform: sqs:ReceiveMessage on resource: arn:aws:sqs:us-east-1:123456789012:s-Dlq because no identity-based policy allows the sqs:ReceiveMessage action\)$/,
        ),
      },
    ]);
  });

  it('a role that can poll passes, and its polling counts as used', async () => {
    const { refusals, used } = await check(
      withMapping(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']),
    );
    expect(refusals).toEqual([]);
    expect(used.map((grant) => `${grant.action} ${grant.allowed}`)).toEqual([
      'sqs:ReceiveMessage true',
      'sqs:DeleteMessage true',
      'sqs:GetQueueAttributes true',
    ]);
  });
});

describe('the usage report', () => {
  it('lists per function what its role grants and no call used, apart from what Lambda itself uses', async () => {
    const current = model(template());
    const authorizer = new IamAuthorizer(() => current);
    await authorizer.authorize(call('dynamodb', 'PutItem', { TableName: 's-Dedup' }));
    await authorizer.authorize(call('dynamodb', 'DeleteItem', { TableName: 's-Dedup' }));
    const report = iamUsageReport(authorizer, [...current.rolesByAccessKey.values()], 'enforce');
    expect(report.functions[0].used).toEqual([
      { action: 'dynamodb:PutItem', resource: `arn:aws:dynamodb:${region}:${ACCOUNT}:table/s-Dedup`, allowed: true },
      {
        action: 'dynamodb:DeleteItem',
        resource: `arn:aws:dynamodb:${region}:${ACCOUNT}:table/s-Dedup`,
        allowed: false,
      },
    ]);
    expect(report.functions[0].unused.map((grant) => grant.action)).toEqual([
      'sqs:SendMessage',
      'dynamodb:GetItem',
      'kms:Decrypt',
    ]);
    expect(report.functions[0].lambdaService.map((grant) => grant.action)).toEqual([
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(formatIamUsageReport(report)).toContain(
      `  unused  dynamodb:GetItem on arn:aws:dynamodb:${region}:${ACCOUNT}:table/s-Dedup (FnPolicy)`,
    );
  });
});
