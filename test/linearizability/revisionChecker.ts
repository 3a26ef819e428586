// Revision rules of etcd's single global revision counter, checked across keys (the per-key
// linearizability search cannot see them): every write that changed the store created its own
// revision; revisions follow real time (an operation that starts after another returned never
// observes an older revision, and a write that starts after it creates a newer one); a read's
// mod revision is not beyond its header revision. It owns these rules only.
import { createdRevision, describeOperation } from './history.js';
import type { KvOperation } from './history.js';

/** Revision violations reported before the checker stops collecting. */
export const revisionViolationsMax = 20;

export interface RevisionViolation {
  readonly rule: 'unique' | 'real-time' | 'mod-revision';
  readonly operations: readonly KvOperation[];
  readonly text: string;
}

/**
 * The store revision an operation observed at its linearization point: the revision a write
 * created, or the header revision of a read, failed compare-and-set or delete of nothing.
 */
function observedRevision(operation: KvOperation): number | undefined {
  const created = createdRevision(operation);
  if (created !== undefined) return created;
  const output = operation.output;
  return output.kind === 'unknown' ? undefined : output.revision;
}

/**
 * Checks the revision rules on a history of linearizable operations (serializable reads are
 * checked by watchChecker's rules instead). Returns at most revisionViolationsMax violations.
 */
export function checkRevisions(history: readonly KvOperation[]): RevisionViolation[] {
  const violations: RevisionViolation[] = [];
  const byRevision = new Map<number, KvOperation>();
  for (const operation of history) {
    const created = createdRevision(operation);
    if (created !== undefined) {
      const other = byRevision.get(created);
      if (other !== undefined && violations.length < revisionViolationsMax) {
        violations.push({
          rule: 'unique',
          operations: [other, operation],
          text: `two writes created revision ${created}:\n  ${describeOperation(other)}\n  ${describeOperation(operation)}`,
        });
      }
      byRevision.set(created, operation);
    }
    const output = operation.output;
    if (output.kind === 'get' && output.found !== null && output.found.modRevision > output.revision && violations.length < revisionViolationsMax) {
      violations.push({
        rule: 'mod-revision',
        operations: [operation],
        text: `a read returned a mod revision beyond its header revision: ${describeOperation(operation)}`,
      });
    }
  }
  const observed = history.filter((operation) => observedRevision(operation) !== undefined);
  const byCall = [...observed].sort((a, b) => a.callMs - b.callMs);
  const byReturn = [...observed].sort((a, b) => a.returnMs - b.returnMs);
  let returned = 0;
  let latest: KvOperation | undefined;
  for (const operation of byCall) {
    while (returned < byReturn.length && byReturn[returned]!.returnMs < operation.callMs) {
      const done = byReturn[returned]!;
      if (latest === undefined || observedRevision(done)! > observedRevision(latest)!) latest = done;
      returned++;
    }
    if (latest === undefined) continue;
    const before = observedRevision(latest)!;
    const revision = observedRevision(operation)!;
    const creates = createdRevision(operation) !== undefined;
    if ((revision < before || (creates && revision === before)) && violations.length < revisionViolationsMax) {
      violations.push({
        rule: 'real-time',
        operations: [latest, operation],
        text: `revision went back in real time: ${describeOperation(operation)} started after ${describeOperation(latest)} returned`,
      });
    }
  }
  return violations;
}
