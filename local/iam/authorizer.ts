import { type RequestAnalysis, runSimulation } from '@cloud-copilot/iam-simulate';
import type { ExecutionRole } from './execution-roles.js';
import { type Authorization, authorizationsFor, type ResourceArns } from './request-authorizations.js';
import type { ResourcePolicies } from './resource-policies.js';
import type { ServiceCall } from './service-call.js';

/** What the authorizer knows: the functions' roles (by the access key each function signs with) and the resources' policies. */
export interface IamModel {
  rolesByAccessKey: Map<string, ExecutionRole>;
  resourcePolicies: ResourcePolicies;
  arns: ResourceArns;
}

export interface Denial extends Authorization {
  /** as the service words it: "User: … is not authorized to perform: … on resource: … because …" */
  message: string;
}

export type Verdict =
  /** not a function's call (the local stack itself, the CLI, a test): IAM does not apply locally */
  | { kind: 'not a function' }
  | { kind: 'allowed'; role: ExecutionRole }
  | { kind: 'denied'; role: ExecutionRole; denial: Denial }
  /** the call's IAM actions could not be told (an operation iam-data does not know): let through, and said */
  | { kind: 'unchecked'; role: ExecutionRole; why: string };

type Decision = { allowed: true } | { allowed: false; why: string };

/**
 * Authorizes the functions' calls with iam-simulate against their execution roles and the
 * resources' policies. Decisions are cached per (role, action, resource, context): the policies
 * do not change while the stack runs (a new model, after the emulators were provisioned again,
 * starts a new cache). Every decision is recorded per function for the usage report.
 */
export class IamAuthorizer {
  private model: IamModel | undefined;
  private cache = new Map<string, Promise<Decision>>();

  /** `model()` is asked at each call; a new model (the resources were provisioned again) starts a new cache */
  constructor(private readonly currentModel: () => IamModel | undefined) {}

  /** per function logical id: what it was allowed or denied, "action resource" -> allowed */
  readonly used = new Map<string, Map<string, Authorization & { allowed: boolean }>>();
  /** decisions made by the evaluator (not from the cache), for the measurements */
  evaluations = 0;

  async authorize(call: ServiceCall): Promise<Verdict> {
    const model = this.modelNow();
    const role = model?.rolesByAccessKey.get(call.accessKeyId);
    if (!model || !role) return { kind: 'not a function' };
    const needed = await authorizationsFor(call, model.arns);
    if ('unchecked' in needed) return { kind: 'unchecked', role, why: needed.unchecked };
    const denial = await this.authorizeAs(role, needed.authorizations);
    return denial ? { kind: 'denied', role, denial } : { kind: 'allowed', role };
  }

  /** Decides (and records) what a role does, call or not (Lambda polling an event source with it); the first denial. */
  async authorizeAs(role: ExecutionRole, authorizations: Authorization[]): Promise<Denial | undefined> {
    const model = this.modelNow();
    if (!model) return undefined;
    for (const authorization of authorizations) {
      const decision = await this.decide(model, role, authorization);
      this.record(role, authorization, decision.allowed);
      if (!decision.allowed) {
        const { action, resource } = authorization;
        const message = `User: ${role.sessionArn} is not authorized to perform: ${action} on resource: ${resource} ${decision.why}`;
        return { ...authorization, message };
      }
    }
    return undefined;
  }

  private modelNow(): IamModel | undefined {
    const model = this.currentModel();
    if (model !== this.model) {
      this.model = model;
      this.cache = new Map();
    }
    return model;
  }

  private decide(model: IamModel, role: ExecutionRole, authorization: Authorization): Promise<Decision> {
    const key = JSON.stringify([role.roleArn, authorization.action, authorization.resource, authorization.context]);
    let decision = this.cache.get(key);
    if (!decision) {
      decision = this.evaluate(model, role, authorization);
      this.cache.set(key, decision);
    }
    return decision;
  }

  private async evaluate(
    model: IamModel,
    role: ExecutionRole,
    { action, resource, context }: Authorization,
  ): Promise<Decision> {
    this.evaluations++;
    const response = await runSimulation(
      {
        request: {
          principal: role.sessionArn,
          action,
          resource: { resource, accountId: model.arns.account },
          contextVariables: {
            // the SDK speaks HTTPS to AWS; locally plain HTTP on loopback stands for it
            'aws:SecureTransport': 'true',
            'aws:PrincipalArn': role.roleArn,
            'aws:PrincipalAccount': model.arns.account,
            ...context,
          },
        },
        identityPolicies: role.policies.map((policy) => ({ name: policy.name, policy: policy.document })),
        permissionBoundaryPolicies: role.permissionsBoundary
          ? [{ name: role.permissionsBoundary.name, policy: role.permissionsBoundary.document }]
          : undefined,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: model.resourcePolicies.policyOf(resource),
      },
      {},
    );
    if (response.resultType === 'error')
      return { allowed: false, why: `because the local IAM check could not evaluate it: ${response.errors.message}` };
    if (response.overallResult === 'Allowed') return { allowed: true };
    const analysis = response.resultType === 'single' ? response.result.analysis : response.results[0]?.analysis;
    return { allowed: false, why: denialReason(action, analysis) };
  }

  private record(role: ExecutionRole, authorization: Authorization, allowed: boolean): void {
    const calls = this.used.get(role.functionId) ?? new Map();
    this.used.set(role.functionId, calls);
    calls.set(`${authorization.action} ${authorization.resource}`, { ...authorization, allowed });
  }
}

/** The end of AWS's AccessDenied message: which kind of policy denied, or which allowed nothing. */
function denialReason(action: string, analysis: RequestAnalysis | undefined): string {
  if (analysis?.identityAnalysis?.denyStatements.length) return 'with an explicit deny in an identity-based policy';
  if (analysis?.resourceAnalysis?.denyStatements.length) return 'with an explicit deny in a resource-based policy';
  if (analysis?.permissionBoundaryAnalysis && analysis.permissionBoundaryAnalysis.result !== 'Allowed')
    return `because no permissions boundary allows the ${action} action`;
  if (analysis?.identityAnalysis?.result === 'Allowed')
    return `because no resource-based policy allows the ${action} action`;
  return `because no identity-based policy allows the ${action} action`;
}
