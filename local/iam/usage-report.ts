import type { IamAuthorizer } from './authorizer.js';
import type { ExecutionRole } from './execution-roles.js';

/** Per function: what its role grants that no call of this run needed. */
export interface IamUsageReport {
  mode: 'enforce' | 'off';
  functions: {
    /** the function's logical id */
    function: string;
    role: string;
    /** calls made, each action on each resource once, allowed or denied */
    used: { action: string; resource: string; allowed: boolean }[];
    /** granted by an Allow statement of the role's policies and never used by a call */
    unused: { action: string; resource: string; policy: string }[];
    /** granted, and used by Lambda itself with the role (logs, X-Ray): not seen locally */
    lambdaService: { action: string; resource: string; policy: string }[];
  }[];
}

/** What Lambda does with the execution role that the local stack does not see: writing the function's logs and traces. */
const LAMBDA_SERVICE_ACTIONS =
  /^(logs:(CreateLogGroup|CreateLogStream|PutLogEvents)|xray:(PutTraceSegments|PutTelemetryRecords))$/i;

/** IAM's wildcards in an action or resource pattern: * any run of characters, ? one. */
function matches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

const list = (value: unknown): string[] => (value === undefined ? [] : [value].flat().map(String));

/**
 * The usage report (`txonce local --iam report`): per function, each Allow statement's actions
 * and resources as written, split into those a call of this run used (the function's own, and
 * Lambda's polling of its event sources), those Lambda uses to write its logs and traces (not
 * seen locally), and the rest: granted, never used, candidates to remove.
 */
export function iamUsageReport(
  authorizer: IamAuthorizer,
  roles: ExecutionRole[],
  mode: 'enforce' | 'off',
): IamUsageReport {
  return {
    mode,
    functions: roles.map((role) => {
      const used = [...(authorizer.used.get(role.functionId)?.values() ?? [])];
      const unused: IamUsageReport['functions'][number]['unused'] = [];
      const lambdaService: IamUsageReport['functions'][number]['lambdaService'] = [];
      for (const policy of role.policies) {
        for (const statement of [policy.document.Statement].flat() as Record<string, unknown>[]) {
          if (statement.Effect !== 'Allow') continue;
          for (const action of list(statement.Action))
            for (const resource of list(statement.Resource)) {
              const grant = { action, resource, policy: policy.name };
              const wasUsed = used.some(
                (call) => call.allowed && matches(action, call.action, true) && matches(resource, call.resource, false),
              );
              if (wasUsed) continue;
              if (LAMBDA_SERVICE_ACTIONS.test(action)) lambdaService.push(grant);
              else unused.push(grant);
            }
        }
      }
      return {
        function: role.functionId,
        role: role.roleArn,
        used: used.map(({ action, resource, allowed }) => ({ action, resource, allowed })),
        unused,
        lambdaService,
      };
    }),
  };
}

/** The report as text, a few lines per function. */
export function formatIamUsageReport(report: IamUsageReport): string {
  const lines = [
    `IAM (${report.mode === 'enforce' ? 'enforced' : 'off: recorded, not enforced'}): granted but never used in this run`,
  ];
  for (const fn of report.functions) {
    const denied = fn.used.filter((call) => !call.allowed);
    lines.push(
      `${fn.function} (${fn.role}): ${fn.used.length - denied.length} allowed calls' actions, ${denied.length} denied`,
    );
    for (const call of denied) lines.push(`  denied  ${call.action} on ${call.resource}`);
    for (const grant of fn.unused) lines.push(`  unused  ${grant.action} on ${grant.resource} (${grant.policy})`);
    if (fn.unused.length === 0) lines.push('  every grant was used');
    if (fn.lambdaService.length > 0)
      lines.push(
        `  (${fn.lambdaService.map((grant) => grant.action).join(', ')}: used by Lambda itself, not seen locally)`,
      );
  }
  return lines.join('\n');
}
