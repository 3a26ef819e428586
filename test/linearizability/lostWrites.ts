// "No acknowledged write lost", checked directly on the history so it does not depend on the
// watch stream: after a write was acknowledged, every linearizable read of its key that starts
// later sees that write or a newer one. It owns this one rule (the linearizability search implies
// it, but this check names the lost write plainly and stays cheap on any history size).
import { createdRevision, describeOperation } from './history.js';
import type { KvOperation } from './history.js';

/** Lost writes listed before the check stops collecting. */
export const lostWritesReportedMax = 20;

/**
 * Returns a description of each acknowledged write that a later linearizable read did not see:
 * the read returned an older mod revision, or the key absent with no delete that could have
 * removed it after the write.
 */
export function lostWrites(history: readonly KvOperation[]): string[] {
  const found: string[] = [];
  const byKey = new Map<string, KvOperation[]>();
  for (const operation of history) {
    const list = byKey.get(operation.input.key) ?? [];
    list.push(operation);
    byKey.set(operation.input.key, list);
  }
  for (const operations of byKey.values()) {
    const writes = operations
      .filter((op) => createdRevision(op) !== undefined && Number.isFinite(op.returnMs))
      .sort((a, b) => a.returnMs - b.returnMs);
    const deletes = operations.filter((op) => op.input.kind === 'delete' && (op.output.kind === 'unknown' || createdRevision(op) !== undefined));
    const reads = operations.filter((op) => op.output.kind === 'get').sort((a, b) => a.callMs - b.callMs);
    let next = 0;
    let latest: KvOperation | undefined;
    for (const read of reads) {
      while (next < writes.length && writes[next]!.returnMs < read.callMs) {
        const write = writes[next++]!;
        if (latest === undefined || createdRevision(write)! > createdRevision(latest)!) latest = write;
      }
      if (latest === undefined || latest.input.kind === 'delete' || read.output.kind !== 'get') continue;
      const revision = createdRevision(latest)!;
      const seen = read.output.found;
      const removedLater = deletes.some((d) => d.callMs < read.returnMs && (d.output.kind === 'unknown' || createdRevision(d)! > revision));
      if ((seen !== null && seen.modRevision < revision) || (seen === null && !removedLater)) {
        if (found.length < lostWritesReportedMax) found.push(`${describeOperation(latest)} was acknowledged, but the later read ${describeOperation(read)} does not see it`);
      }
    }
  }
  return found;
}
