// Checks of what watchers and serializable reads observed against the KV history: every watcher
// sees every revision once, in order, with no gap, and the events match the writes that were
// acknowledged (no acknowledged write lost, no event invented); a member's serializable reads
// never go back in time and only return pairs that some write produced. It owns these rules.
import { createdRevision, describeOperation } from './history.js';
import type { KvOperation, KvValue } from './history.js';

/** Violations collected per rule before the checker stops listing them. */
export const watchViolationsMax = 20;

/** One event as a watcher received it. Values are UTF-8; a delete has value ''. */
export interface ObservedEvent {
  readonly revision: number;
  readonly key: string;
  readonly type: 'put' | 'delete';
  readonly value: string;
}

/** Everything one watcher received, from `startRevision` on. */
export interface WatchRecord {
  readonly watcherId: number;
  readonly startRevision: number;
  readonly events: readonly ObservedEvent[];
  /** Why the watch ended early, or null while it ran to the end. */
  readonly endedBy: string | null;
}

/** A serializable read served by one member (not part of the linearizable history). */
export interface SerializableRead {
  readonly clientId: number;
  readonly member: string;
  readonly key: string;
  readonly callMs: number;
  readonly returnMs: number;
  readonly found: KvValue | null;
  readonly revision: number;
}

export interface WatchViolation {
  readonly rule: 'order' | 'gap' | 'incomplete' | 'ended' | 'disagree' | 'lost-write' | 'invented' | 'serializable-time' | 'serializable-value';
  readonly text: string;
}

function describeEvent(event: ObservedEvent): string {
  return `${event.type} ${event.key}${event.type === 'put' ? `=${JSON.stringify(event.value)}` : ''} @${event.revision}`;
}

class Violations {
  readonly list: WatchViolation[] = [];
  add(rule: WatchViolation['rule'], text: string): void {
    if (this.list.filter((v) => v.rule === rule).length < watchViolationsMax) this.list.push({ rule, text });
  }
}

function checkOneWatcher(record: WatchRecord, finalRevision: number, out: Violations): void {
  if (record.endedBy !== null) out.add('ended', `watcher ${record.watcherId} ended early: ${record.endedBy}`);
  let expected = record.startRevision;
  for (const event of record.events) {
    if (event.revision < expected) {
      out.add('order', `watcher ${record.watcherId} received ${describeEvent(event)} again or out of order (expected revision ${expected})`);
      continue;
    }
    if (event.revision > expected) out.add('gap', `watcher ${record.watcherId} skipped revisions ${expected}..${event.revision - 1} (next event ${describeEvent(event)})`);
    expected = event.revision + 1;
  }
  if (expected <= finalRevision) out.add('incomplete', `watcher ${record.watcherId} stopped at revision ${expected - 1} of ${finalRevision}`);
}

/**
 * Checks the watchers against each other and against the history. Every watcher covers the
 * whole key space the workload writes, from its start revision to `finalRevision` (the store
 * revision after the workload), and each revision holds exactly one single-key write.
 */
export function checkWatches(records: readonly WatchRecord[], history: readonly KvOperation[], finalRevision: number): WatchViolation[] {
  const out = new Violations();
  const reference = new Map<number, { event: ObservedEvent; watcherId: number }>();
  for (const record of records) {
    checkOneWatcher(record, finalRevision, out);
    for (const event of record.events) {
      const seen = reference.get(event.revision);
      if (seen === undefined) reference.set(event.revision, { event, watcherId: record.watcherId });
      else if (describeEvent(seen.event) !== describeEvent(event)) {
        out.add('disagree', `watchers ${seen.watcherId} and ${record.watcherId} disagree at revision ${event.revision}: ${describeEvent(seen.event)} vs ${describeEvent(event)}`);
      }
    }
  }
  const firstRevision = Math.min(...records.map((r) => r.startRevision));
  const writers = new Map<string, KvOperation[]>();
  for (const operation of history) {
    if (operation.input.kind === 'get') continue;
    const created = createdRevision(operation);
    if (created !== undefined && created >= firstRevision) {
      const seen = reference.get(created)?.event;
      const type = operation.input.kind === 'delete' ? 'delete' : 'put';
      const value = operation.input.kind === 'delete' ? '' : operation.input.value;
      if (seen === undefined || seen.key !== operation.input.key || seen.type !== type || seen.value !== value) {
        out.add('lost-write', `acknowledged write ${describeOperation(operation)} is not the event watchers saw at revision ${created}: ${seen ? describeEvent(seen) : 'none'}`);
      }
    }
    const signature = operation.input.kind === 'delete' ? `delete ${operation.input.key}` : `put ${operation.input.key}=${JSON.stringify(operation.input.value)}`;
    const list = writers.get(signature) ?? [];
    list.push(operation);
    writers.set(signature, list);
  }
  for (const { event } of reference.values()) {
    const signature = event.type === 'delete' ? `delete ${event.key}` : `put ${event.key}=${JSON.stringify(event.value)}`;
    if (!writers.has(signature)) out.add('invented', `watchers saw ${describeEvent(event)}, which no operation wrote`);
  }
  return out.list;
}

/**
 * Checks serializable reads: per member, a read that starts after another read on that member
 * returned never sees an older revision; every pair returned was written at that mod revision
 * (per the watch events, which must be complete from revision `eventsFromRevision`).
 */
export function checkSerializableReads(reads: readonly SerializableRead[], events: readonly ObservedEvent[], eventsFromRevision: number): WatchViolation[] {
  const out = new Violations();
  const byRevision = new Map(events.map((event) => [event.revision, event]));
  const byMember = new Map<string, SerializableRead[]>();
  for (const read of reads) {
    const list = byMember.get(read.member) ?? [];
    list.push(read);
    byMember.set(read.member, list);
    const found = read.found;
    if (found === null || found.modRevision < eventsFromRevision) continue;
    const event = byRevision.get(found.modRevision);
    if (event === undefined || event.type !== 'put' || event.key !== read.key || event.value !== found.value || found.modRevision > read.revision) {
      out.add('serializable-value', `serializable read of ${read.key} on ${read.member} returned ${JSON.stringify(found.value)} mod ${found.modRevision} @${read.revision}, but revision ${found.modRevision} was ${event ? describeEvent(event) : 'never seen'}`);
    }
  }
  for (const [member, list] of byMember) {
    const byCall = [...list].sort((a, b) => a.callMs - b.callMs);
    const byReturn = [...list].sort((a, b) => a.returnMs - b.returnMs);
    let returned = 0;
    let latest: SerializableRead | undefined;
    for (const read of byCall) {
      while (returned < byReturn.length && byReturn[returned]!.returnMs < read.callMs) {
        const done = byReturn[returned]!;
        if (latest === undefined || done.revision > latest.revision) latest = done;
        returned++;
      }
      if (latest !== undefined && read.revision < latest.revision) {
        out.add('serializable-time', `member ${member} went back in time: a serializable read at [${read.callMs.toFixed(1)}, ${read.returnMs.toFixed(1)}] saw revision ${read.revision} after one that returned at ${latest.returnMs.toFixed(1)} saw ${latest.revision}`);
      }
    }
  }
  return out.list;
}
