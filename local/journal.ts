import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';

/** One accepted webhook, as ingest handed it to SQS. */
export interface JournalEntry {
  at: string;
  source: string;
  key: string;
  message: SendMessageCommandInput;
}

/**
 * An append-only file of the webhooks ingest is about to enqueue, written before SendMessage
 * and so before the 202. moto keeps its queues in memory: when it (or the whole stack) dies,
 * what it held is gone, but every event answered 202 is still here, and the stack queues again
 * those the dedup table has no record of. A line is one JSON object; appendFileSync returns
 * once the kernel has it, so a killed process loses nothing it wrote (a machine crash can).
 */
export class Journal {
  constructor(readonly file: string) {}

  append(entry: JournalEntry): void {
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
  }

  /** The entries, and how many lines were cut short (the process died while writing them). */
  read(): { entries: JournalEntry[]; torn: number } {
    if (!existsSync(this.file)) return { entries: [], torn: 0 };
    const entries: JournalEntry[] = [];
    let torn = 0;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        entries.push(JSON.parse(line) as JournalEntry);
      } catch {
        torn++;
      }
    }
    return { entries, torn };
  }

  /** Keeps only `entries` (those not committed yet), replacing the file atomically. */
  rewrite(entries: JournalEntry[]): void {
    const next = `${this.file}.next`;
    writeFileSync(next, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    renameSync(next, this.file);
  }
}
