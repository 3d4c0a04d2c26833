import type { PipelineEvent } from './stack.js';

/** One readable line per step of an event's path through the local pipeline. */
export function describeEvent(event: PipelineEvent): string | undefined {
  const time = new Date().toISOString().slice(11, 23);
  if (event.stage === 'function') return describeLogLine(time, event.function, event.line);
  if (event.stage === 'runtime')
    return `${time}  ${event.environment === 'started' ? 'cold start    ' : `!! ${event.environment}`} ${event.function}  ${event.detail ?? ''}`;
  if (event.stage === 'template')
    return [
      `${time}  template       ${event.stackName} from ${event.dir}; not emulated locally, deliberately:`,
      ...event.notes.map((note) => `                 - ${note}`),
    ].join('\n');
  if (event.stage === 'mapping')
    return event.error === undefined
      ? undefined
      : // no records: the receive itself failed (an emulator down), not a batch
        `${time}  !! ${event.mapping}: ${event.records === 0 ? 'polling failed' : `${event.records} record(s) failed`}: ${event.error}`;
  if (event.stage === 'supervisor') {
    const mark = { error: '!!', warn: '! ', info: 'ok' }[event.level];
    return `${time}  ${mark} ${event.message}`;
  }
  if (event.stage === 'journal') {
    const { report } = event;
    const lines: string[] = [];
    if (report.replayed > 0 || event.when === 'recovery')
      lines.push(
        `${time}  journal        queued again ${report.replayed} accepted event(s) with no dedup record yet${event.when === 'recovery' ? ' (after the restart)' : ' (accepted before the last stop)'}; any that did commit are absorbed as duplicates`,
      );
    if (report.deadLettered > 0)
      lines.push(
        `${time}  journal        ${report.deadLettered} dead-lettered event(s) not queued again${report.restored > 0 ? `; ${report.restored} put back into the DLQ, which had lost them` : ''}`,
      );
    if (report.torn > 0)
      lines.push(
        `${time}  journal        ${report.torn} line(s) cut short: the stack was killed while writing them, before it answered 202, so their senders retry them`,
      );
    return lines.join('\n') || `${time}  journal        nothing to re-deliver`;
  }
  if (event.stage === 'iam') return `${time}  !! IAM ${event.verdict.padEnd(9)} ${event.function}: ${event.message}`;
  return `${time}  receipt ${event.status.padEnd(12)} ${event.id}`;
}

/**
 * A function's Powertools log line, as one readable line: the steps of an event's path
 * (accepted, committed, duplicate, dead-lettered, failed, published) by their log messages;
 * other warnings and errors as they are; the rest (info, metrics) is left out. A JSON line
 * without a level is the function's own and is shown whole.
 */
function describeLogLine(time: string, fn: string, line: Record<string, unknown> | string): string | undefined {
  if (typeof line === 'string') return `${time}  ${fn}: ${line}`;
  const field = (name: string) => (line[name] === undefined ? '' : String(line[name]));
  const error = (line.error as { message?: string } | undefined)?.message ?? '';
  const result = line.result as
    | { applied?: string; customerId?: string; amount?: number; ignored?: string }
    | undefined;
  switch (line.message) {
    case 'webhook accepted':
      return `${time}  accepted       ${field('webhookId')}`;
    case 'webhook rejected':
      return `${time}  rejected ${field('statusCode')}   ${field('reason')}`;
    case 'event committed':
      return `${time}  committed      ${field('idempotencyKey')}  ${result?.applied ? `${result.customerId} +${result.amount}` : `ignored ${result?.ignored ?? ''}`}`;
    case 'duplicate absorbed':
      return `${time}  duplicate      ${field('idempotencyKey')}  (first committed ${field('firstSeenAt')})`;
    case 'event dead-lettered':
      return `${time}  dead-lettered  ${field('idempotencyKey')}  ${error}`;
    case 'event failed, SQS will redeliver it':
      return `${time}  failed (${field('reason')})  ${field('idempotencyKey')}  ${error}  -> SQS redelivers`;
    case 'message delivered':
      return `${time}  published      ${field('messageId')}  (attempt ${field('attempts')})`;
    case 'message not delivered: sent to the failure queue':
      return `${time}  not published  ${field('messageId')}  ${error}  -> failure queue`;
  }
  if (line.level === 'WARN' || line.level === 'ERROR' || line.level === 'CRITICAL')
    return `${time}  ${fn} ${String(line.level).toLowerCase()}: ${field('message')} ${error}`;
  // a JSON line of your own (console.log(JSON.stringify(...))), not a logger's or a metric's (EMF): shown as it is
  if (line.level === undefined && line._aws === undefined) return `${time}  ${fn}: ${JSON.stringify(line)}`;
  return undefined;
}
