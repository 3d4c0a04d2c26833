import type { Observation } from './harness.js';

const PERMANENT = new Set(['IdempotencyKeyReuseError', 'PermanentError']);

/**
 * The promise, checked after quiescence and redrive: every event's effect applied exactly once,
 * or the event in the DLQ with its reason; never a doubled effect; a key reused with another
 * payload always detected; each committed event's outbox messages written once, by the commit
 * that applied it; what each delivery was told is true. Returns the violations (none: holds).
 */
export function violationsOf(observation: Observation): string[] {
  const { schedule, applications, reports, deadLetters, outbox } = observation;
  const violations: string[] = [...observation.wireViolations];
  if (observation.stranded > 0) violations.push(`${observation.stranded} message(s) never quiesced`);

  const seen = new Set<string>();
  for (const application of applications) {
    if (seen.has(application.delivery)) violations.push(`delivery ${application.delivery} applied twice`);
    seen.add(application.delivery);
  }

  const keys = [...new Set(schedule.events.map((event) => event.key))];
  const appliedByKey = new Map<string, string>();
  for (const key of keys) {
    const members = schedule.events.flatMap((event, index) => (event.key === key ? [index] : []));
    const applied = applications.filter((application) => members.includes(application.event));
    if (applied.length > 1) {
      violations.push(
        `key ${key}: effect applied ${applied.length} times (${applied.map((a) => `event ${a.event} by ${a.delivery}`).join(', ')})`,
      );
    }
    const winner = applied[0];
    if (winner) appliedByKey.set(key, winner.delivery);
    for (const index of members) {
      const event = schedule.events[index];
      const letters = deadLetters.filter((letter) => letter.event === index);
      const own = applied.filter((application) => application.event === index);
      if (own.some((application) => application.payload !== event.payload)) {
        violations.push(`event ${index}: applied with another event's payload`);
      }
      if (own.length > 0 && letters.length > 0) {
        violations.push(`event ${index}: applied and also dead-lettered (${letters.map((l) => l.reason).join(', ')})`);
      }
      if (own.length === 0) {
        const expected = event.poison ? 'PermanentError' : winner ? 'IdempotencyKeyReuseError' : undefined;
        if (!expected) violations.push(`event ${index}: never applied, and not in the DLQ`);
        else if (!letters.some((letter) => letter.reason === expected)) {
          violations.push(
            `event ${index}: not applied, and not in the DLQ with ${expected} (DLQ: ${letters.map((l) => l.reason).join(', ') || 'nothing'})`,
          );
        }
      }
      for (const letter of letters) {
        if (!PERMANENT.has(letter.reason)) {
          violations.push(
            `event ${index}: left in the DLQ after redrive without a permanent reason (${letter.reason})`,
          );
        }
      }
    }
    // outbox: written by the commit that applied the event, once per position, nothing more
    const expectedOutbox = Array.from({ length: schedule.options.emits + 1 }, (_, position) =>
      winner && position < schedule.options.emits ? winner.delivery : undefined,
    );
    if (JSON.stringify(outbox[key]) !== JSON.stringify(expectedOutbox)) {
      violations.push(
        `key ${key}: outbox holds ${JSON.stringify(outbox[key])}, expected ${JSON.stringify(expectedOutbox)}`,
      );
    }
  }

  for (const report of reports) {
    const key = schedule.events[report.event].key;
    const applied = appliedByKey.get(key);
    if (report.status === 'committed' && report.resultDelivery !== applied) {
      violations.push(
        `event ${report.event}: told "committed" (delivery ${report.resultDelivery}), but the applied delivery is ${applied ?? 'none'}`,
      );
    }
    if (report.status === 'duplicate') {
      const winner = applications.find((application) => application.delivery === applied);
      if (winner && winner.event !== report.event) {
        violations.push(`event ${report.event}: key ${key} reused with another payload, passed as a duplicate`);
      } else if (report.resultDelivery !== applied) {
        violations.push(
          `event ${report.event}: told "duplicate" with the result of ${report.resultDelivery}, but the applied delivery is ${applied ?? 'none'}`,
        );
      }
    }
  }
  return violations;
}
