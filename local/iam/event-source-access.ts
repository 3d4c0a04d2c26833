import type { StackTemplate } from '../template/cloud-assembly.js';
import { type ReferenceTable, resolveIntrinsics } from '../template/intrinsics.js';
import type { IamAuthorizer } from './authorizer.js';
import type { ExecutionRole } from './execution-roles.js';
import { authorizationsFor, type ResourceArns } from './request-authorizations.js';

/** An event source mapping AWS would refuse to create: the function's role cannot poll it. */
export interface EventSourceRefusal {
  mapping: string;
  /** as CreateEventSourceMapping words it, then the denial that causes it */
  message: string;
}

/** What Lambda calls with the execution role to poll each kind of source (as CreateEventSourceMapping checks). */
const POLLING = {
  sqs: { operations: ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'], signingName: 'sqs' },
  // ListStreams too, says AWS's message; IAM has it on `*` only, and the stream's own actions are what polling needs
  stream: { operations: ['DescribeStream', 'GetRecords', 'GetShardIterator'], signingName: 'dynamodb' },
} as const;

/**
 * Lambda polls an event source with the function's execution role, and CreateEventSourceMapping
 * refuses a role that cannot: each mapping's polling (and its stream's on-failure queue) is
 * authorized as that role, recorded for the usage report, and every refusal is returned, in
 * AWS's words.
 */
export async function checkEventSourceAccess(options: {
  template: StackTemplate;
  references: ReferenceTable;
  rolesByFunction: Map<string, ExecutionRole>;
  arns: ResourceArns;
  authorizer: IamAuthorizer;
}): Promise<EventSourceRefusal[]> {
  const { template, references, arns, authorizer } = options;
  const refusals: EventSourceRefusal[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const p = resource.Properties ?? {};
    const role = options.rolesByFunction.get(String((p.FunctionName as { Ref?: string } | undefined)?.Ref));
    if (!role) continue;
    const source = String(resolveIntrinsics(p.EventSourceArn, references, `${id}.EventSourceArn`));
    const isQueue = source.startsWith('arn:aws:sqs:');
    if (!isQueue && !source.includes(':table/')) continue; // not emulated: the mapping's own check names it
    const polling = POLLING[isQueue ? 'sqs' : 'stream'];
    const input = isQueue ? { QueueName: source.split(':').at(-1) } : { StreamArn: source };
    for (const operation of polling.operations) {
      const needed = await authorizationsFor(
        { accessKeyId: '', signingName: polling.signingName, operation, protocol: 'json', input },
        arns,
      );
      const denial = 'authorizations' in needed ? await authorizer.authorizeAs(role, needed.authorizations) : undefined;
      if (!denial) continue;
      refusals.push({
        mapping: id,
        message: isQueue
          ? `The provided execution role does not have permissions to call ${operation} on SQS (${denial.message})`
          : `Cannot access stream ${source}. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM. (${denial.message})`,
      });
      break;
    }
    const onFailure = (p.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure
      ?.Destination;
    if (onFailure === undefined) continue;
    const destination = String(resolveIntrinsics(onFailure, references, `${id}.DestinationConfig`));
    const needed = await authorizationsFor(
      {
        accessKeyId: '',
        signingName: 'sqs',
        operation: 'SendMessage',
        protocol: 'json',
        input: { QueueName: destination.split(':').at(-1) },
      },
      arns,
    );
    const denial = 'authorizations' in needed ? await authorizer.authorizeAs(role, needed.authorizations) : undefined;
    if (denial)
      refusals.push({
        mapping: id,
        message: `The provided execution role does not have permissions to call SendMessage on SQS (${denial.message})`,
      });
  }
  return refusals;
}
