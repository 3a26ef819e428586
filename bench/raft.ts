// Throughput of core/raft alone: entries per second committed and applied through an in-process
// 3-member cluster with no disk (MemoryStorage) and messages delivered in memory, proposing in
// batches of 1 and of 64 per round. Run with `npx tsx bench/raft.ts`.

import { performance } from 'node:perf_hooks';
import { MemoryStorage, RaftNode, Random, index, nodeId } from '../core/raft/index.js';
import type { Message, NodeId, Ready } from '../core/raft/index.js';

interface Member {
  readonly id: NodeId;
  readonly node: RaftNode;
  readonly storage: MemoryStorage;
  applied: number;
  appliedIndex: number;
}

/** The application snapshots and compacts every this many applied entries, as a server would. */
const snapshotEveryEntries = 10_000;
const payloadBytes = 128;

function createCluster(): Member[] {
  const ids = ['a', 'b', 'c'].map(nodeId);
  const random = new Random(1);
  return ids.map((id) => {
    const storage = MemoryStorage.bootstrap({ voters: ids, learners: [] });
    const node = new RaftNode({ id, electionTicks: 10, heartbeatTicks: 1, storage, random: random.fork(), maxInflightMsgs: 256 });
    return { id, node, storage, applied: 0, appliedIndex: 1 };
  });
}

function handleReady(member: Member, ready: Ready, outbox: Message[]): void {
  if (ready.snapshot !== null) member.storage.applySnapshot(ready.snapshot);
  if (ready.entries.length > 0) member.storage.append(ready.entries);
  if (ready.hardState !== null) member.storage.setHardState(ready.hardState);
  for (const m of ready.messages) outbox.push(m);
  for (const entry of ready.committedEntries) {
    if (entry.data.length > 0) member.applied++;
    member.appliedIndex = entry.index;
  }
  member.node.advance(ready);
  if (member.appliedIndex - member.storage.snapshot().meta.index >= snapshotEveryEntries) {
    member.storage.createSnapshot(index(member.appliedIndex), member.storage.snapshot().meta.conf, new Uint8Array(0));
    member.storage.compact(index(member.appliedIndex - 100));
  }
}

/** Runs every Ready and delivers every message until the cluster is quiet. */
function pump(members: Member[], byId: Map<NodeId, Member>): void {
  let outbox: Message[] = [];
  for (;;) {
    for (const member of members) if (member.node.hasReady()) handleReady(member, member.node.ready(), outbox);
    if (outbox.length === 0) return;
    const deliver = outbox;
    outbox = [];
    for (const m of deliver) byId.get(m.to)!.node.step(m);
  }
}

function run(batch: number, totalEntries: number, together: boolean): { committedPerSecond: number; ms: number } {
  const members = createCluster();
  const byId = new Map(members.map((m) => [m.id, m]));
  const leader = members[0]!;
  leader.node.campaign();
  pump(members, byId);
  const payload = new Uint8Array(payloadBytes).fill(7);
  const start = performance.now();
  let proposed = 0;
  while (proposed < totalEntries) {
    if (together) leader.node.proposeBatch(new Array<Uint8Array>(batch).fill(payload));
    else for (let i = 0; i < batch; i++) leader.node.propose(payload);
    proposed += batch;
    pump(members, byId);
  }
  const ms = performance.now() - start;
  for (const member of members) {
    if (member.applied !== proposed) throw new Error(`${member.id} applied ${member.applied} of ${proposed}`);
  }
  return { committedPerSecond: (proposed / ms) * 1000, ms };
}

const plan: { batch: number; entries: number; together: boolean; label: string }[] = [
  { batch: 1, entries: 100_000, together: false, label: 'batch  1 (propose)' },
  { batch: 64, entries: 1_000_000, together: false, label: 'batch 64 (64 x propose)' },
  { batch: 64, entries: 1_000_000, together: true, label: 'batch 64 (proposeBatch)' },
];
for (const { batch, together } of plan) run(batch, 20_000, together);
console.log(`core/raft, 3 members in one process, ${payloadBytes}-byte entries, no disk`);
for (const { batch, entries, together, label } of plan) {
  const result = run(batch, entries, together);
  console.log(
    `${label}: ${Math.round(result.committedPerSecond).toLocaleString('en-US')} entries/s ` +
      `committed and applied on all 3 members (${entries.toLocaleString('en-US')} entries in ${Math.round(result.ms)} ms)`,
  );
}
