import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { TxonceStack } from '../../infra/stack.js';

function synth() {
  return { template: Template.fromStack(new TxonceStack(new App(), 'test')) };
}

describe('the dedup table', () => {
  it('has the key, TTL attribute and capacity mode txonce expects', () => {
    synth().template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
  });

  it('is retained when the stack is deleted: the records are what stops replays', () => {
    synth().template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('grants a consumer the conditional put and a read, nothing that deletes or scans', () => {
    const stack = new TxonceStack(new App(), 'test');
    const role = new Role(stack, 'Consumer', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    stack.idempotency.grantConsumer(role);
    const template = Template.fromStack(stack);
    const policies = template.findResources('AWS::IAM::Policy');
    const actions = Object.values(policies).flatMap((policy) =>
      (
        policy as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }
      ).Properties.PolicyDocument.Statement.flatMap((statement) => statement.Action),
    );
    expect(actions.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(template.toJSON().Outputs).toHaveProperty('IdempotencyTableName');
  });
});
