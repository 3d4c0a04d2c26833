import { CONSUMER_ENVIRONMENT } from '../../lib/contracts/environment.js';
import type { StackTemplate, SynthesizedStack } from './cloud-assembly.js';
import { TemplateError } from './emulations.js';
import type { LocalFunction } from './function-runtime.js';
import { resolveIntrinsics } from './intrinsics.js';
import type { ProvisionedResources } from './provision-template.js';

// What the local stack reads from a synthesized template to name the parts it runs: the webhook
// endpoint and its secret, the pipeline's queues and tables. Any template built with txonce's
// constructs: nothing here knows a logical id or a construct id of this repository's app.

/** The local names of a WebhookPipeline's parts, for `txonce send`, the demo and the CLI. */
export interface PipelineNames {
  dedupTable: string;
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
  /** '' without an outbox */
  outboxTable: string;
  outboxFailureQueueUrl: string;
  /** the example app's business tables ('' in an app without them): what the demo checks */
  invoicesTable: string;
  customersTable: string;
  /** the webhook archive (moto S3); '' when the pipeline has none (archive: false) */
  archiveBucket: string;
}

/** WebhookPipeline's outputs, by the name its construct gives them (the longest first: QueueUrl ends others). */
const PIPELINE_OUTPUTS = [
  'OutboxFailureQueueUrl',
  'DeadLetterQueueUrl',
  'IdempotencyTableName',
  'OutboxTableName',
  'ArchiveBucketName',
  'QueueUrl',
] as const;

/** TXONCE_VISIBILITY_TIMEOUT: the one deliberate local override of the template (quick retries to watch). */
export function withVisibilityTimeout(template: StackTemplate, seconds: number | undefined): StackTemplate {
  if (seconds === undefined) return template;
  const consumed = new Set(
    Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping')
      .map((resource) => JSON.stringify(resource.Properties?.EventSourceArn)),
  );
  const resources = Object.fromEntries(
    Object.entries(template.Resources).map(([id, resource]) => {
      const consumedQueue =
        resource.Type === 'AWS::SQS::Queue' && consumed.has(JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }));
      return [
        id,
        consumedQueue ? { ...resource, Properties: { ...resource.Properties, VisibilityTimeout: seconds } } : resource,
      ];
    }),
  );
  return { ...template, Resources: resources };
}

/** Locally a secret's Ref is its name (Secrets Manager takes either): moto's ARNs change with every restart. */
export function localSecretNames(resources: ProvisionedResources): ProvisionedResources['references'] {
  return {
    ref: (id) => resources.secrets.get(id)?.name ?? resources.references.ref(id),
    getAtt: (id, attribute) => resources.references.getAtt(id, attribute),
  };
}

/** Refs of the API's parts: the API is "local", a stage its name, the others their logical ids. */
export function apiReference(template: StackTemplate, id: string): string | undefined {
  const type = template.Resources[id]?.Type;
  if (type === 'AWS::ApiGateway::RestApi') return 'local';
  if (type === 'AWS::ApiGateway::Stage') return String(template.Resources[id].Properties?.StageName);
  if (type?.startsWith('AWS::ApiGateway::')) return id;
  return undefined;
}

/** A function's environment variables as the template writes them (intrinsics unresolved). */
export function environmentOf(template: StackTemplate, functionId: string): Record<string, unknown> {
  const environment = template.Resources[functionId]?.Properties?.Environment as
    | { Variables?: Record<string, unknown> }
    | undefined;
  return environment?.Variables ?? {};
}

/** The SQS-triggered consumer's environment (its tables, DLQ and topics). */
export function consumerEnvironment(functions: Map<string, LocalFunction>): Record<string, string> {
  return (
    [...functions.values()].find(
      (fn) =>
        fn.spec.environment[CONSUMER_ENVIRONMENT.dedupTable] &&
        fn.spec.environment[CONSUMER_ENVIRONMENT.deadLetterQueueUrl],
    )?.spec.environment ?? {}
  );
}

/** Names of the pipeline's parts, from WebhookPipeline's outputs (whatever its construct id) and the functions' environments. */
export function pipelineNames(assembly: SynthesizedStack, resources: ProvisionedResources): PipelineNames {
  const outputs: Partial<Record<(typeof PIPELINE_OUTPUTS)[number], string>> = {};
  for (const [id, output] of Object.entries(assembly.template.Outputs ?? {})) {
    const bare = id.replace(/[0-9A-F]{8}$/, '');
    const name = PIPELINE_OUTPUTS.find((candidate) => bare.endsWith(candidate));
    if (!name || outputs[name] !== undefined) continue;
    try {
      outputs[name] = String(resolveIntrinsics(output.Value, localSecretNames(resources), `Outputs.${id}`));
    } catch {
      // an output of something not emulated: not needed locally
    }
  }
  const queues = [...resources.queues.values()];
  const queue = queues.find((candidate) => candidate.url === outputs.QueueUrl);
  const deadLetterQueue = queues.find((candidate) => candidate.url === outputs.DeadLetterQueueUrl);
  if (!queue || !deadLetterQueue || !outputs.IdempotencyTableName)
    throw new TemplateError(
      `${assembly.stackName}: the template has no WebhookPipeline (its outputs QueueUrl, DeadLetterQueueUrl and IdempotencyTableName are missing): txonce local runs apps built with txonce/cdk's WebhookPipeline.`,
    );
  const envOf = (variable: string) => {
    for (const id of Object.keys(assembly.template.Resources)) {
      const value = environmentOf(assembly.template, id)[variable];
      if (value !== undefined) return String(resolveIntrinsics(value, resources.references, variable));
    }
    return '';
  };
  return {
    dedupTable: outputs.IdempotencyTableName,
    queueUrl: queue.url,
    queueArn: queue.arn,
    deadLetterQueueUrl: deadLetterQueue.url,
    deadLetterQueueArn: deadLetterQueue.arn,
    outboxTable: outputs.OutboxTableName ?? '',
    outboxFailureQueueUrl: outputs.OutboxFailureQueueUrl ?? '',
    invoicesTable: envOf(CONSUMER_ENVIRONMENT.invoicesTable),
    customersTable: envOf(CONSUMER_ENVIRONMENT.customersTable),
    archiveBucket: outputs.ArchiveBucketName ?? '',
  };
}
