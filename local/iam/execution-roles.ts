import type { StackTemplate } from '../template/cloud-assembly.js';
import { unsupportedValue } from '../template/emulations.js';
import { type ReferenceTable, resolveIntrinsics } from '../template/intrinsics.js';
import {
  awsManagedPolicy,
  isAwsManagedPolicyArn,
  knownAwsManagedPolicies,
  type PolicyDocument,
} from './managed-policies.js';

/** A function's execution role as synthesized, with every policy IAM evaluates for its calls. */
export interface ExecutionRole {
  functionId: string;
  roleId: string;
  roleArn: string;
  /** the principal of the function's calls: arn:aws:sts::<account>:assumed-role/<role>/<function> */
  sessionArn: string;
  /** inline (Policies, AWS::IAM::Policy) and managed policies (AWS managed and AWS::IAM::ManagedPolicy) */
  policies: { name: string; document: PolicyDocument }[];
  permissionsBoundary?: { name: string; document: PolicyDocument };
}

const refTo = (value: unknown): string | undefined => (value as { Ref?: string } | undefined)?.Ref;

/**
 * Each function's execution role, read from the template: the role its `Role` names, the role's
 * inline `Policies`, every AWS::IAM::Policy and AWS::IAM::ManagedPolicy attached to it, its
 * `ManagedPolicyArns` and its `PermissionsBoundary`. References in the documents are resolved
 * against the local resources. A role that is not in the template, or an AWS managed policy the
 * local stack does not carry, stops the start (its rights cannot be known).
 */
export function readExecutionRoles(options: {
  template: StackTemplate;
  stackName: string;
  account: string;
  /** function logical id -> its function name */
  functions: Map<string, string>;
  references: ReferenceTable;
}): Map<string, ExecutionRole> {
  const { template, stackName, account, references } = options;
  const resources = template.Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
  const resolve = (value: unknown, where: string) => resolveIntrinsics(value, references, where) as PolicyDocument;
  const attachedTo = (roleId: string, roles: unknown) =>
    Array.isArray(roles) && roles.some((role) => refTo(role) === roleId);

  const managedPolicy = (
    roleId: string,
    entry: unknown,
    property: string,
  ): { name: string; document: PolicyDocument } => {
    const id = refTo(entry);
    if (id && resources[id]?.Type === 'AWS::IAM::ManagedPolicy')
      return { name: id, document: resolve(resources[id].Properties?.PolicyDocument, `${id}.PolicyDocument`) };
    const arn = String(resolveIntrinsics(entry, references, `${roleId}.${property}`));
    const document = isAwsManagedPolicyArn(arn) ? awsManagedPolicy(arn) : undefined;
    if (!document)
      unsupportedValue(
        roleId,
        'AWS::IAM::Role',
        property,
        `${arn}: its document is not known locally, so the role's rights cannot be evaluated (the AWS managed policies known are ${knownAwsManagedPolicies().join(', ')}; run with iam: 'off' to skip IAM)`,
      );
    return { name: arn.split('/').at(-1) as string, document };
  };

  const roles = new Map<string, ExecutionRole>();
  for (const [functionId, functionName] of options.functions) {
    const roleRef = resources[functionId]?.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
    const roleId = roleRef?.['Fn::GetAtt']?.[0];
    const role = roleId ? resources[roleId] : undefined;
    if (!roleId || role?.Type !== 'AWS::IAM::Role')
      unsupportedValue(
        functionId,
        'AWS::Lambda::Function',
        'Role',
        `${JSON.stringify(roleRef)} is not a role of this template, so its policies cannot be evaluated locally (run with iam: 'off' to skip IAM)`,
      );
    const p = role.Properties ?? {};
    const roleName = typeof p.RoleName === 'string' ? p.RoleName : `${stackName}-${roleId}`.slice(0, 64);
    const inline = ((p.Policies as { PolicyName: string; PolicyDocument: unknown }[] | undefined) ?? []).map(
      (policy) => ({
        name: policy.PolicyName,
        document: resolve(policy.PolicyDocument, `${roleId}.Policies.${policy.PolicyName}`),
      }),
    );
    const policies = ofType('AWS::IAM::Policy')
      .filter(([, policy]) => attachedTo(roleId, policy.Properties?.Roles))
      .map(([id, policy]) => ({
        name: id,
        document: resolve(policy.Properties?.PolicyDocument, `${id}.PolicyDocument`),
      }));
    const managedByRole = ((p.ManagedPolicyArns as unknown[] | undefined) ?? []).map((entry) =>
      managedPolicy(roleId, entry, 'ManagedPolicyArns'),
    );
    const managedByPolicy = ofType('AWS::IAM::ManagedPolicy')
      .filter(([, policy]) => attachedTo(roleId, policy.Properties?.Roles))
      .map(([id, policy]) => ({
        name: id,
        document: resolve(policy.Properties?.PolicyDocument, `${id}.PolicyDocument`),
      }));
    roles.set(functionId, {
      functionId,
      roleId,
      roleArn: `arn:aws:iam::${account}:role/${roleName}`,
      sessionArn: `arn:aws:sts::${account}:assumed-role/${roleName}/${functionName}`,
      policies: [...inline, ...policies, ...managedByRole, ...managedByPolicy],
      permissionsBoundary:
        p.PermissionsBoundary === undefined
          ? undefined
          : managedPolicy(roleId, p.PermissionsBoundary, 'PermissionsBoundary'),
    });
  }
  return roles;
}
