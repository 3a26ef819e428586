// Raft's safety properties checked incrementally as the simulator runs: election safety, log
// matching, state machine safety (committed entries never change and every member applies the
// same sequence), leader completeness and linearizable ReadIndex reads. Each check throws an
// InvariantViolation naming the property.

import type { Entry, Index, NodeId, Term } from '../../../core/raft/index.js';

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}

interface CommittedRecord {
  readonly term: Term;
  readonly data: Uint8Array;
  /** The reporting member's term when first seen committed: a bound on the committing term. */
  readonly reporterTerm: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class InvariantChecker {
  private readonly leaders = new Map<number, NodeId>();
  /** (index, term) → the entry's data and the term before it, from every log ever persisted. */
  private readonly logEntries = new Map<string, { data: Uint8Array; prevTerm: number }>();
  readonly committed: (CommittedRecord | undefined)[] = [];
  private readonly writeCountAt: (number | undefined)[] = [];
  maxCommittedIndex = 0;
  /** The committed write with the highest index so far (what a new read must observe). */
  lastCommittedWrite: { index: number; id: string } | null = null;

  /** §5.2 Election Safety: at most one leader per term. */
  leaderElected(id: NodeId, term: number): void {
    const existing = this.leaders.get(term);
    if (existing !== undefined && existing !== id) {
      throw new InvariantViolation('election safety', `${existing} and ${id} both led term ${term}`);
    }
    this.leaders.set(term, id);
  }

  /** §5.3 Log Matching: entries with the same index and term have the same data and history. */
  entriesPersisted(id: NodeId, entries: readonly Entry[], prevTermOf: (i: Index) => number | null): void {
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k]!;
      const prevTerm = k > 0 ? entries[k - 1]!.term : prevTermOf((entry.index - 1) as Index);
      if (prevTerm === null) continue;
      const key = `${entry.index}:${entry.term}`;
      const seen = this.logEntries.get(key);
      if (seen === undefined) {
        this.logEntries.set(key, { data: entry.data, prevTerm });
        continue;
      }
      if (!sameBytes(seen.data, entry.data) || seen.prevTerm !== prevTerm) {
        throw new InvariantViolation(
          'log matching',
          `${id} holds a different entry at index ${entry.index} term ${entry.term}`,
        );
      }
    }
  }

  /** §5.4.3 State Machine Safety: a committed index holds one entry forever. */
  entryCommitted(id: NodeId, entry: { index: number; term: Term; data: Uint8Array }, reporterTerm: number): void {
    const record = this.committed[entry.index];
    if (record === undefined) {
      this.committed[entry.index] = { term: entry.term, data: entry.data, reporterTerm };
      if (entry.index > this.maxCommittedIndex) this.maxCommittedIndex = entry.index;
      return;
    }
    if (record.term !== entry.term || !sameBytes(record.data, entry.data)) {
      throw new InvariantViolation(
        'committed entries never change',
        `${id} has term ${entry.term} committed at index ${entry.index}, earlier committed with term ${record.term}`,
      );
    }
  }

  /** Every member's state machine passes through the same states. */
  stateAt(id: NodeId, index: number, writeCount: number): void {
    const seen = this.writeCountAt[index];
    if (seen === undefined) this.writeCountAt[index] = writeCount;
    else if (seen !== writeCount) {
      throw new InvariantViolation('same applied sequence', `${id} holds ${writeCount} writes at ${index}, others ${seen}`);
    }
  }

  /** §5.4 Leader Completeness: a leader of term T holds every entry committed by an earlier term. */
  leaderLog(id: NodeId, term: number, firstIndex: number, termAt: (i: Index) => number | null): void {
    for (let i = Math.max(firstIndex, 1); i <= this.maxCommittedIndex; i++) {
      const record = this.committed[i];
      if (record === undefined || record.reporterTerm >= term) continue;
      const found = termAt(i as Index);
      if (found !== record.term) {
        throw new InvariantViolation(
          'leader completeness',
          `leader ${id} of term ${term} has term ${found} at committed index ${i} (term ${record.term})`,
        );
      }
    }
  }
}
