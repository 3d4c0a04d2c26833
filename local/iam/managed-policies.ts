import vendored from './aws-managed-policies.json' with { type: 'json' };

export type PolicyDocument = { Version?: string; Statement: unknown };

const AWS_MANAGED = vendored.policies as Record<string, { version: string; document: PolicyDocument }>;

/** The ARN of an AWS managed policy, in any partition, as the local stack's policies are keyed. */
const normalized = (arn: string) => arn.replace(/^arn:aws[a-z-]*:iam::aws:policy\//, 'arn:aws:iam::aws:policy/');

/**
 * The document of an AWS managed policy (AWSLambdaBasicExecutionRole and the others a Lambda
 * role commonly attaches; scripts/aws-managed-policies.ts extracts them), or undefined for one
 * the local stack does not carry.
 */
export function awsManagedPolicy(arn: string): PolicyDocument | undefined {
  return AWS_MANAGED[normalized(arn)]?.document;
}

export const isAwsManagedPolicyArn = (arn: string) => /^arn:aws[a-z-]*:iam::aws:policy\//.test(arn);

/** The AWS managed policies the local stack knows, by name, for messages. */
export const knownAwsManagedPolicies = () => Object.keys(AWS_MANAGED).map((arn) => arn.split('/').at(-1));
