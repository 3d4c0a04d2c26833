import type { StackTemplate } from '../template/cloud-assembly.js';
import { type ReferenceTable, resolveIntrinsics } from '../template/intrinsics.js';
import type { PolicyDocument } from './managed-policies.js';

/** The resource-based policies IAM evaluates beside the role's, and the customer managed keys resources are encrypted with. */
export interface ResourcePolicies {
  /** the resource policy of a queue, topic, secret, bucket (or one of its objects) or KMS key, by its ARN */
  policyOf(arn: string): PolicyDocument | undefined;
  /** the ARN of the customer managed KMS key a table, queue, topic or secret is encrypted with */
  encryptionKey(arn: string): string | undefined;
}

/** Where each resource type keeps its policy, and which resources it applies to. */
const POLICY_TYPES: Record<string, { document: string; targets: string; attribute?: string }> = {
  'AWS::SQS::QueuePolicy': { document: 'PolicyDocument', targets: 'Queues', attribute: 'Arn' },
  'AWS::SNS::TopicPolicy': { document: 'PolicyDocument', targets: 'Topics' },
  'AWS::SecretsManager::ResourcePolicy': { document: 'ResourcePolicy', targets: 'SecretId' },
  'AWS::S3::BucketPolicy': { document: 'PolicyDocument', targets: 'Bucket', attribute: 'Arn' },
};

/**
 * Reads the template's resource policies (SQS queue policies, SNS topic policies, Secrets
 * Manager resource policies, KMS key policies) and the customer managed keys of encrypted
 * tables, queues, topics and secrets. AWS managed keys (no key named, or alias/aws/…) need no
 * rights of the caller, so they are not listed.
 */
export function readResourcePolicies(options: {
  template: StackTemplate;
  references: ReferenceTable;
  region: string;
  account: string;
}): ResourcePolicies {
  const { template, references, region, account } = options;
  const resolve = (value: unknown, where: string) => resolveIntrinsics(value, references, where);
  const policies = new Map<string, PolicyDocument>();
  const addPolicy = (arn: string, document: PolicyDocument) => {
    const statements = (known: PolicyDocument | undefined) => (known ? [known.Statement].flat() : []);
    policies.set(arn, {
      Version: '2012-10-17',
      Statement: [...statements(policies.get(arn)), ...statements(document)],
    });
  };
  const resourceArn = (target: unknown, attribute: string | undefined, where: string) => {
    const id = (target as { Ref?: string })?.Ref;
    return String(id && attribute ? references.getAtt(id, attribute) : resolve(target, where));
  };
  const keyArn = (value: unknown, where: string): string | undefined => {
    if (value === undefined) return undefined;
    const key = String(resolve(value, where));
    if (key.startsWith('alias/aws/') || key.includes(':alias/aws/')) return undefined;
    if (key.startsWith('alias/')) {
      const alias = Object.entries(template.Resources).find(
        ([, resource]) => resource.Type === 'AWS::KMS::Alias' && resource.Properties?.AliasName === key,
      );
      return alias ? keyArn(alias[1].Properties?.TargetKeyId, `${alias[0]}.TargetKeyId`) : undefined;
    }
    return key.startsWith('arn:') ? key : `arn:aws:kms:${region}:${account}:key/${key}`;
  };

  const keys = new Map<string, string>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const p = resource.Properties ?? {};
    const kind = POLICY_TYPES[resource.Type];
    if (kind) {
      const document = resolve(p[kind.document], `${id}.${kind.document}`) as PolicyDocument;
      for (const target of [p[kind.targets]].flat())
        addPolicy(resourceArn(target, kind.attribute, `${id}.${kind.targets}`), document);
      continue;
    }
    const arnOf = (attribute: string) => resourceArn({ Ref: id }, attribute, id);
    let key: string | undefined;
    if (resource.Type === 'AWS::KMS::Key')
      addPolicy(arnOf('Arn'), resolve(p.KeyPolicy, `${id}.KeyPolicy`) as PolicyDocument);
    else if (resource.Type === 'AWS::DynamoDB::Table')
      key = keyArn(
        (p.SSESpecification as { KMSMasterKeyId?: unknown } | undefined)?.KMSMasterKeyId,
        `${id}.SSESpecification`,
      );
    else if (resource.Type === 'AWS::DynamoDB::GlobalTable') {
      const replicas = (p.Replicas as { SSESpecification?: { KMSMasterKeyId?: unknown } }[] | undefined) ?? [];
      key = keyArn(
        replicas.find((replica) => replica.SSESpecification?.KMSMasterKeyId)?.SSESpecification?.KMSMasterKeyId,
        `${id}.Replicas`,
      );
    } else if (resource.Type === 'AWS::SQS::Queue' || resource.Type === 'AWS::SNS::Topic')
      key = keyArn(p.KmsMasterKeyId, `${id}.KmsMasterKeyId`);
    else if (resource.Type === 'AWS::SecretsManager::Secret') key = keyArn(p.KmsKeyId, `${id}.KmsKeyId`);
    if (!key) continue;
    const arn =
      resource.Type === 'AWS::SNS::Topic' || resource.Type === 'AWS::SecretsManager::Secret'
        ? resolve({ Ref: id }, id)
        : arnOf('Arn');
    keys.set(String(arn), key);
  }
  return {
    // an object's policy is its bucket's
    policyOf: (arn) =>
      policies.get(arn) ?? (arn.startsWith('arn:aws:s3:::') ? policies.get(arn.split('/')[0]) : undefined),
    encryptionKey: (arn) => keys.get(arn),
  };
}
