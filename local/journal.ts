import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { EVENT_ATTRIBUTES } from '../lib/contracts/sqs-attributes.js';
import { DEAD_LETTER_ATTRIBUTES } from '../lib/index.js';

/** One accepted webhook, as ingest handed it to SQS. */
export interface JournalEntry {
  at: string;
  source: string;
  key: string;
  message: SendMessageCommandInput;
}

/** One event the consumer sent to the DLQ, as it sent it (its reason included). */
export interface DeadLetterEntry {
  at: string;
  source: string;
  key: string;
  deadLetter: SendMessageCommandInput;
}

export type JournalLine = JournalEntry | DeadLetterEntry;

export const isDeadLetter = (line: JournalLine): line is DeadLetterEntry => 'deadLetter' in line;

/**
 * An append-only file of the webhooks ingest is about to enqueue, written before SendMessage
 * and so before the 202. moto keeps its queues in memory: when it (or the whole stack) dies,
 * what it held is gone, but every event answered 202 is still here, and the stack queues again
 * those the dedup table has no record of. An event the consumer dead-lettered is written again,
 * as its dead letter: its fate is decided, so it is not queued again (it would only be
 * dead-lettered again), and a DLQ that lost it gets it back. A line is one JSON object;
 * appendFileSync returns once the kernel has it, so a killed process loses nothing it wrote (a
 * machine crash can).
 */
export class Journal {
  constructor(readonly file: string) {}

  append(entry: JournalLine): void {
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
  }

  /** Journals a SendMessage of the functions: to the event queue an acceptance, to the DLQ a dead letter. */
  record(
    message: SendMessageCommandInput,
    where: { source: string; eventQueueUrl: string; deadLetterQueueUrl?: string },
  ): void {
    const line = {
      at: new Date().toISOString(),
      // several sources: each message names its own namespace
      source: message.MessageAttributes?.[EVENT_ATTRIBUTES.source]?.StringValue ?? where.source,
      key: message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.key]?.StringValue ?? '',
    };
    if (message.QueueUrl === where.eventQueueUrl) this.append({ ...line, message });
    else if (where.deadLetterQueueUrl && message.QueueUrl === where.deadLetterQueueUrl)
      this.append({ ...line, deadLetter: message });
  }

  /** The lines, and how many were cut short (the process died while writing them). */
  read(): { entries: JournalLine[]; torn: number } {
    if (!existsSync(this.file)) return { entries: [], torn: 0 };
    const entries: JournalLine[] = [];
    let torn = 0;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        entries.push(JSON.parse(line) as JournalLine);
      } catch {
        torn++;
      }
    }
    return { entries, torn };
  }

  /** Keeps only `entries` (those not committed yet), replacing the file atomically. */
  rewrite(entries: JournalLine[]): void {
    const next = `${this.file}.next`;
    writeFileSync(next, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    renameSync(next, this.file);
  }
}
