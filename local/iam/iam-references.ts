import type { StackTemplate } from '../template/cloud-assembly.js';
import type { ReferenceTable } from '../template/intrinsics.js';
import type { ProvisionedResources } from '../template/provision-template.js';
import { localStreamArn } from './request-authorizations.js';

/**
 * References as IAM sees them: every ARN in the form AWS gives it in the stack's region and
 * account, so that policies and the calls' resources agree. DynamoDB Local names its tables and
 * streams in a region and account of its own, and KMS keys and log groups are not emulated at
 * all; everything else is what the local resources are.
 */
export function iamReferences(options: {
  template: StackTemplate;
  resources: ProvisionedResources;
  region: string;
  account: string;
}): ReferenceTable {
  const { template, resources, region, account } = options;
  const typeOf = (id: string) => template.Resources[id]?.Type;
  return {
    ref: (id) => {
      if (typeOf(id) === 'AWS::KMS::Key') return id;
      if (typeOf(id) === 'AWS::KMS::Alias') return String(template.Resources[id].Properties?.AliasName);
      return resources.references.ref(id);
    },
    getAtt: (id, attribute) => {
      const table = resources.tables.get(id);
      if (table && attribute === 'Arn') return `arn:aws:dynamodb:${region}:${account}:table/${table.name}`;
      if (table && attribute === 'StreamArn' && table.streamArn)
        return localStreamArn(table.streamArn, { region, account });
      if (typeOf(id) === 'AWS::KMS::Key' && attribute === 'Arn') return `arn:aws:kms:${region}:${account}:key/${id}`;
      if (typeOf(id) === 'AWS::Logs::LogGroup' && attribute === 'Arn') {
        const name = template.Resources[id].Properties?.LogGroupName ?? id;
        return `arn:aws:logs:${region}:${account}:log-group:${String(name)}:*`;
      }
      return resources.references.getAtt(id, attribute);
    },
  };
}
