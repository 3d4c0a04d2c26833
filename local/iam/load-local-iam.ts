import { iamEvaluatorProblem, MissingPrerequisiteError, machine, type PrerequisiteProbe } from '../prerequisites.js';
import { startIamGateway } from './iam-gateway.js';
import type { LocalIam, startLocalIam as StartLocalIam } from './local-iam.js';

type LocalIamOptions = Parameters<typeof StartLocalIam>[0];

/**
 * Starts local IAM, loading its evaluator (iam-simulate, iam-data: optional peers, see
 * prerequisites.ts) only now, so that a project without them still starts with IAM off. Then the
 * functions' calls pass a gateway that only routes them to their emulators, and nothing is recorded.
 */
export async function startLocalIam(
  options: LocalIamOptions,
  probe: Pick<PrerequisiteProbe, 'resolves'> = machine,
): Promise<LocalIam> {
  const missing = iamEvaluatorProblem(probe);
  if (!missing) return (await import('./local-iam.js')).startLocalIam(options);
  if ((options.mode ?? 'enforce') === 'enforce') throw new MissingPrerequisiteError([missing]);
  const gateway = await startIamGateway({
    authorizer: { authorize: async () => ({ kind: 'not a function' }) },
    enforce: false,
    upstream: options.upstream,
  });
  const report = { mode: 'off' as const, functions: [] };
  return {
    mode: 'off',
    url: gateway.url,
    configure: async () => undefined,
    usageReport: () => report,
    formatUsageReport: () =>
      'IAM off, without its evaluator (@cloud-copilot/iam-simulate is not installed): no calls were recorded',
    stop: () => gateway.stop(),
  };
}
