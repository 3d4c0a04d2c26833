import type { SynthesizedStack } from '../template/cloud-assembly.js';
import { TemplateError } from '../template/emulations.js';
import type { LocalFunction } from '../template/function-runtime.js';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../template/intrinsics.js';
import type { ProvisionedResources } from '../template/provision-template.js';
import { IamAuthorizer, type IamModel, type Verdict } from './authorizer.js';
import { checkEventSourceAccess } from './event-source-access.js';
import { readExecutionRoles } from './execution-roles.js';
import { startIamGateway } from './iam-gateway.js';
import { iamReferences } from './iam-references.js';
import { readResourcePolicies } from './resource-policies.js';
import type { ServiceCall } from './service-call.js';
import { formatIamUsageReport, type IamUsageReport, iamUsageReport } from './usage-report.js';

/** `enforce` (the default): a call the function's role does not allow fails as on AWS. `off`: recorded only. */
export type IamMode = 'enforce' | 'off';

export interface LocalIam {
  mode: IamMode;
  /** the endpoint of every service for the functions (and for the stack's SQS client, so queue URLs lead here) */
  url: string;
  /**
   * Gives each function its own access key and reads the roles and policies (`resources()` is
   * asked again after a re-provisioning); rejects, as AWS would refuse to create them, event
   * source mappings whose function's role cannot poll their source.
   */
  configure(options: {
    stack: SynthesizedStack;
    functions: Map<string, LocalFunction>;
    resources: () => ProvisionedResources;
  }): Promise<void>;
  /** per function: the actions granted and never used during the run */
  usageReport(): IamUsageReport;
  formatUsageReport(): string;
  stop(): Promise<void>;
}

export interface IamNotice {
  function: string;
  verdict: 'denied' | 'unchecked';
  message: string;
}

const [REGION, ACCOUNT] = [LOCAL_REGION, LOCAL_ACCOUNT];
/** Only letters and digits: DynamoDB Local refuses other access key ids. */
const accessKeyFor = (functionId: string) => `TXONCE${functionId.replace(/[^A-Za-z0-9]/g, '')}`;

/**
 * IAM as AWS enforces it, for the functions of a template run locally: every SDK call a function
 * makes reaches the emulators through one gateway that authorizes it against the function's
 * execution role and the resources' policies (see docs/local-emulation.md, "IAM, enforced").
 */
export async function startLocalIam(options: {
  mode?: IamMode;
  /** where calls go once allowed, by SigV4 signing name */
  upstream: (signingName: string) => string;
  onNotice?: (notice: IamNotice) => void;
}): Promise<LocalIam> {
  const mode = options.mode ?? 'enforce';
  let configured: Parameters<LocalIam['configure']>[0] | undefined;
  let built: { resources: ProvisionedResources; model: IamModel } | undefined;
  const currentModel = (): IamModel | undefined => {
    if (!configured) return undefined;
    const resources = configured.resources();
    if (built?.resources !== resources) built = { resources, model: buildModel(configured, resources) };
    return built.model;
  };
  const authorizer = new IamAuthorizer(currentModel);
  const uncheckedSaid = new Set<string>();
  const onVerdict = (call: ServiceCall, verdict: Verdict) => {
    if (verdict.kind === 'denied')
      options.onNotice?.({ function: verdict.role.functionId, verdict: 'denied', message: verdict.denial.message });
    else if (verdict.kind === 'unchecked' && !uncheckedSaid.has(`${verdict.role.functionId} ${call.operation}`)) {
      uncheckedSaid.add(`${verdict.role.functionId} ${call.operation}`);
      options.onNotice?.({
        function: verdict.role.functionId,
        verdict: 'unchecked',
        message: `${[call.signingName, call.operation].filter(Boolean).join(' ')} was let through unchecked: ${verdict.why}`,
      });
    }
  };
  const gateway = await startIamGateway({
    authorizer,
    enforce: mode === 'enforce',
    upstream: options.upstream,
    onVerdict,
  });
  const roles = () => [...(currentModel()?.rolesByAccessKey.values() ?? [])];
  return {
    mode,
    url: gateway.url,
    async configure(settings) {
      configured = settings;
      for (const [id, fn] of settings.functions) fn.spec.environment.AWS_ACCESS_KEY_ID = accessKeyFor(id);
      // a role the template does not hold, or an unknown managed policy, stops the start here
      const model = currentModel() as IamModel;
      const refusals = await checkEventSourceAccess({
        template: settings.stack.template,
        references: iamReferences({
          template: settings.stack.template,
          resources: settings.resources(),
          region: REGION,
          account: ACCOUNT,
        }),
        rolesByFunction: new Map([...model.rolesByAccessKey.values()].map((role) => [role.functionId, role])),
        arns: model.arns,
        authorizer,
      });
      if (refusals.length > 0 && mode === 'enforce')
        throw new TemplateError(
          `AWS would refuse to create these event source mappings (txonce local --iam off, or TXONCE_IAM=off, runs them anyway):\n${refusals.map((refusal) => `- ${refusal.mapping}: ${refusal.message}`).join('\n')}`,
        );
      for (const refusal of refusals)
        options.onNotice?.({ function: refusal.mapping, verdict: 'denied', message: refusal.message });
    },
    usageReport: () => iamUsageReport(authorizer, roles(), mode),
    formatUsageReport: () => formatIamUsageReport(iamUsageReport(authorizer, roles(), mode)),
    stop: () => gateway.stop(),
  };
}

function buildModel(settings: Parameters<LocalIam['configure']>[0], resources: ProvisionedResources): IamModel {
  const { stack, functions } = settings;
  const references = iamReferences({ template: stack.template, resources, region: REGION, account: ACCOUNT });
  const roles = readExecutionRoles({
    template: stack.template,
    stackName: stack.stackName,
    account: ACCOUNT,
    functions: new Map([...functions].map(([id, fn]) => [id, fn.spec.functionName])),
    references,
  });
  const resourcePolicies = readResourcePolicies({
    template: stack.template,
    references,
    region: REGION,
    account: ACCOUNT,
  });
  const secretsByName = new Map([...resources.secrets.values()].map((secret) => [secret.name, secret.arn]));
  return {
    rolesByAccessKey: new Map([...roles.values()].map((role) => [accessKeyFor(role.functionId), role])),
    resourcePolicies,
    arns: {
      region: REGION,
      account: ACCOUNT,
      secretArn: (id) =>
        secretsByName.get(id) ??
        (id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}`),
      encryptionKey: (arn) => resourcePolicies.encryptionKey(arn),
    },
  };
}
