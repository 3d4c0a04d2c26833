import type { ColdStart } from './cold-start.js';
import type { ContenderName } from './contenders.js';
import type { ContentionResult } from './contention.js';
import type { CostResults } from './cost.js';
import type { CrashResult } from './crashes.js';

// What one benchmark run measured: run.ts fills it, report.ts writes it out.

export type Scale = 'full' | 'tiny';

export interface BenchResults {
  date: string;
  scale: Scale;
  machine: { cpu: string; cores: number; memoryGiB: number; os: string; node: string; load?: string };
  versions: Record<string, string>;
  calls: Record<ContenderName, { first: number; duplicate: number }>;
  latency: Record<ContenderName, { median: number; p99: number; samples: number[] }>;
  throughput: Record<string, Record<ContenderName, number>>;
  batch: Record<'txonce' | 'peer', { median: number; p99: number }>;
  crashes: Record<'txonce' | 'peer', CrashResult>;
  cold: Record<'txonce' | 'peer', ColdStart>;
  cost: CostResults;
  contention: ContentionResult[];
  ratios: {
    /** dollars per million events, 0% duplicates, two-item write: txonce / the peer's documented plain write */
    costTxoncePeer: number;
    /** dollars per million events, 25% duplicates, two-item write: txonce's defaults / the peer with a transactional write */
    costDefaultPeerTransactional: number;
    latencyTxoncePeer: number;
    latencyTxoncePlain: number;
    throughput: Record<string, { txoncePeer: number; txoncePlain: number }>;
    batchTxoncePeer: number;
  };
}
