// Periodic work only the leader does, each a proposal through Raft like a client's: revoking
// expired leases, checkpointing lease TTLs (so a new leader does not extend them), and the
// auto-compaction etcd's --auto-compaction-mode/--auto-compaction-retention ask for. Timers are
// unref'd and stopped with the member; what the proposals do is the applier's.
import type { MemberConfig } from './memberConfig.js';
import type { Lessor } from '../lease/lessor.js';
import { PeriodicCompactionPolicy, RevisionCompactionPolicy, type CompactionPolicy } from '../mvcc/compactionPolicy.js';
import type { MvccStore } from '../mvcc/mvccStore.js';
import type { InternalRequest } from './internalRequest.js';

const leaseExpiryCheckMs = 500;
const leaseCheckpointMs = 60_000;
/** How often the leader asks the auto-compaction policy whether a compaction is due. */
const autoCompactionPollMs = 1_000;

export interface LeaderDutiesHost {
  readonly config: MemberConfig;
  readonly log: (level: 'info' | 'warn', message: string) => void;
  /** True while this member leads and has not stopped. */
  leading(): boolean;
  lessor(): Lessor;
  store(): MvccStore;
  propose(request: InternalRequest): Promise<unknown>;
}

export class LeaderDuties {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly host: LeaderDutiesHost) {}

  start(): void {
    this.timers.push(setInterval(() => this.expireLeases(), leaseExpiryCheckMs), setInterval(() => this.checkpointLeases(), leaseCheckpointMs));
    const policy = compactionPolicy(this.host.config);
    if (policy) this.timers.push(setInterval(() => this.autoCompact(policy), autoCompactionPollMs));
    for (const timer of this.timers) timer.unref();
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
  }

  private expireLeases(): void {
    if (!this.host.leading()) return;
    for (const id of this.host.lessor().expired()) this.host.propose({ kind: 'leaseRevoke', id }).catch(() => undefined);
  }

  private checkpointLeases(): void {
    if (!this.host.leading()) return;
    const checkpoints = this.host.lessor().checkpoints();
    if (checkpoints.length > 0) this.host.propose({ kind: 'leaseCheckpoint', checkpoints }).catch(() => undefined);
  }

  /** Proposes the compaction the policy asks for. */
  private autoCompact(policy: CompactionPolicy): void {
    if (!this.host.leading()) return;
    const store = this.host.store();
    const revision = policy.poll(store.revision, store.compactRevision);
    if (revision === null || revision <= store.compactRevision) return;
    this.host.log('info', `auto-compacting to revision ${revision}`);
    this.host.propose({ kind: 'compaction', compaction: { revision } }).catch((error: unknown) => {
      this.host.log('warn', `auto-compaction to ${revision} failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
}

/** etcd's --auto-compaction-mode/--auto-compaction-retention; null when retention is 0 (off). */
function compactionPolicy(config: MemberConfig): CompactionPolicy | null {
  const retention = config.autoCompactionRetention;
  if (retention <= 0) return null;
  return config.autoCompactionMode === 'periodic'
    ? new PeriodicCompactionPolicy(retention, () => Date.now())
    : new RevisionCompactionPolicy(retention, () => Date.now());
}
