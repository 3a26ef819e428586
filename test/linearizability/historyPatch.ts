// Resolves writes of unknown outcome with what the watchers saw, as etcd's robustness tests do:
// each write carries a unique value, so a put or compare-and-set whose value appears in the
// complete event stream took effect at that revision, and one whose value never appears did not.
// This keeps the search small (unknown operations multiply its states) without weakening it:
// the watch stream itself is checked against the history by watchChecker.ts.
import type { KvOperation } from './history.js';
import type { ObservedEvent } from './watchChecker.js';

/**
 * Returns the history with unknown puts and compare-and-sets resolved by `events`, which must
 * hold every event from the workload's first revision on, and values unique per write.
 * Resolved writes keep an open return (they completed at some unknown time); writes that never
 * took effect are removed; unknown deletes stay unknown.
 */
export function resolveUnknownWrites(history: readonly KvOperation[], events: readonly ObservedEvent[]): KvOperation[] {
  const putAt = new Map<string, number>();
  for (const event of events) if (event.type === 'put') putAt.set(`${event.key}\u0000${event.value}`, event.revision);
  const resolved: KvOperation[] = [];
  for (const operation of history) {
    const input = operation.input;
    if (operation.output.kind !== 'unknown' || (input.kind !== 'put' && input.kind !== 'cas')) {
      resolved.push(operation);
      continue;
    }
    const revision = putAt.get(`${input.key}\u0000${input.value}`);
    if (revision === undefined) continue;
    const output = input.kind === 'put' ? { kind: 'put' as const, revision } : { kind: 'cas' as const, succeeded: true, revision };
    resolved.push({ ...operation, output });
  }
  return resolved;
}
