import type { PipelineEvent } from './stack.js';

/** One readable line per step of an event's path through the local pipeline. */
export function describeEvent(event: PipelineEvent): string {
  const time = new Date().toISOString().slice(11, 23);
  if (event.stage === 'ingest') {
    return event.status === 202
      ? `${time}  accepted       ${event.id}`
      : `${time}  rejected ${event.status}   ${event.reason ?? ''}`;
  }
  if (event.stage === 'publisher') {
    const { result } = event;
    return result.status === 'delivered'
      ? `${time}  published      ${result.messageId}  (attempt ${result.attempts})`
      : `${time}  not published  ${result.messageId}  ${result.error ?? ''}  -> failure queue`;
  }
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
    if (report.torn > 0)
      lines.push(
        `${time}  journal        ${report.torn} line(s) cut short: the stack was killed while writing them, before it answered 202, so their senders retry them`,
      );
    return lines.join('\n') || `${time}  journal        nothing to re-deliver`;
  }
  if (event.stage === 'receiver') return `${time}  receipt ${event.status.padEnd(12)} ${event.id}`;
  const { outcome } = event;
  const key = outcome.key ?? outcome.record.messageId;
  switch (outcome.status) {
    case 'committed': {
      const result = outcome.result;
      const detail = 'applied' in result ? `${result.customerId} +${result.amount}` : `ignored ${result.ignored}`;
      return `${time}  committed      ${key}  ${detail}`;
    }
    case 'duplicate':
      return `${time}  duplicate      ${key}  (first committed ${outcome.firstSeenAt})`;
    case 'dead-lettered':
      return `${time}  dead-lettered  ${key}  ${(outcome.error as Error).message}`;
    case 'failed':
      return `${time}  failed (${outcome.reason})  ${key}  ${outcome.error ? (outcome.error as Error).message : ''}  -> SQS redelivers`;
  }
}
