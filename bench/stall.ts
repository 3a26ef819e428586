// `npm run bench:stall`: event-loop stalls of real members under a mixed workload, against the
// election timeout. A 3-member cluster of `dist` member processes runs, in order: steady writes, a
// 100,000-key load, a compaction of most of the history, a defragment of every member, forced
// snapshots (a small --snapshot-count, and a stopped member brought back by a snapshot), a loop of
// 1,000-key ranges, watch catch-ups from an old revision, and then all of them together until the
// time is up. Steady writes run underneath every phase. Each member's largest event-loop delay of
// the last second (rafter_eventloop_lag_max_recent_seconds on /metrics) is polled, and every term
// and leader change seen on /rafter/v1/raft/status; a table per phase is printed at the end.
//
//   npm run build && npx tsx bench/stall.ts [--minutes 10] [--keys 100000] [--heartbeat-interval 100]
//     [--election-timeout 1000] [--snapshot-count 2000] [--value-bytes 128]
import { EtcdClient } from '../core/client/etcdClient.js';
import { RafterCluster, type RafterMember } from '../test/support/rafterCluster.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const minutes = option('minutes', 10);
const loadKeys = option('keys', 100_000);
const heartbeatMs = option('heartbeat-interval', 100);
const electionMs = option('election-timeout', 1_000);
const snapshotCount = option('snapshot-count', 2_000);
const valueBytes = option('value-bytes', 128);
/** The tighter budget reported beside the election timeout (Rafter's own default). */
const tightElectionMs = 150;
/** Puts per second of the background writer. */
const steadyPutsPerSecond = 100;
/** Puts in flight during the bulk load. */
const loadConcurrency = 64;
/** Keys per range of the range loop. */
const rangeKeys = 1_000;
/** Keys written while a member is stopped, to make the leader send it a snapshot. */
const behindKeys = 3 * snapshotCount;
const pollIntervalMs = 250;

interface PhaseFigures {
  readonly name: string;
  startedMs: number;
  endedMs: number;
  /** Largest event-loop delay seen per member, in ms. */
  readonly maxDelayMs: number[];
  termChanges: number;
  leaderChanges: number;
}

interface Observed {
  term: number;
  leader: string | null;
}

const benchStartedMs = performance.now();
const phases: PhaseFigures[] = [];
const changes: string[] = [];
let current: PhaseFigures | null = null;
const value = Buffer.alloc(valueBytes, 'v');

function startPhase(name: string): void {
  endPhase();
  current = { name, startedMs: performance.now(), endedMs: 0, maxDelayMs: [0, 0, 0], termChanges: 0, leaderChanges: 0 };
  phases.push(current);
  console.log(`[${elapsed()}] phase ${name}`);
}

function endPhase(): void {
  if (current !== null) current.endedMs = performance.now();
  current = null;
}

function elapsed(): string {
  return `${((performance.now() - benchStartedMs) / 1000).toFixed(1)} s`;
}

async function metricValue(cluster: RafterCluster, member: RafterMember, name: string): Promise<number | null> {
  const response = await cluster.request(member, '/metrics', 5_000).catch(() => null);
  const line = response?.body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? null : Number(line.split(' ')[1]);
}

/** Polls every member until `stop` is set; updates the current phase's figures. */
async function observe(cluster: RafterCluster, stop: { done: boolean }): Promise<void> {
  const seen: Observed = { term: 0, leader: null };
  while (!stop.done) {
    const tick = performance.now();
    await Promise.all(
      cluster.members.map(async (member, i) => {
        if (member.process === undefined) return;
        const delay = await metricValue(cluster, member, 'rafter_eventloop_lag_max_recent_seconds');
        if (delay !== null && current !== null) current.maxDelayMs[i] = Math.max(current.maxDelayMs[i]!, delay * 1000);
        const view = await cluster.raftStatus(member).catch(() => null);
        if (view === null) return;
        const { term, leader } = view.status;
        if (term > seen.term || (term === seen.term && leader !== null && leader !== seen.leader)) {
          if (seen.term !== 0) {
            const what = term > seen.term ? `term ${seen.term} -> ${term}` : 'leader known';
            changes.push(`[${elapsed()}] ${current?.name ?? '-'}: ${what}, leader ${leader ?? 'none'} (seen by ${member.name})`);
            if (current !== null) {
              if (term > seen.term) current.termChanges += 1;
              if (leader !== null && leader !== seen.leader) current.leaderChanges += 1;
            }
          }
          seen.term = term;
          if (leader !== null) seen.leader = leader;
        }
      }),
    );
    const wait = pollIntervalMs - (performance.now() - tick);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** Writes `steadyPutsPerSecond` puts a second over a small key set until stopped. */
async function steadyWriter(client: EtcdClient, stop: { done: boolean }): Promise<void> {
  let n = 0;
  while (!stop.done) {
    const tick = performance.now();
    await Promise.all(Array.from({ length: steadyPutsPerSecond / 10 }, () => client.kv.put(`steady/${n++ % 1000}`, value).catch(() => undefined)));
    const wait = 100 - (performance.now() - tick);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

async function load(client: EtcdClient, prefix: string, count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: loadConcurrency }, async () => {
      while (next < count) {
        const i = next++;
        await client.kv.put(`${prefix}/${String(i).padStart(8, '0')}`, value);
      }
    }),
  );
}

async function rangeLoop(client: EtcdClient, untilMs: number): Promise<number> {
  let ranges = 0;
  let from = 0;
  while (performance.now() < untilMs) {
    await client.kv.get(`load/${String(from).padStart(8, '0')}`, { rangeEnd: 'load0', limit: rangeKeys });
    from = (from + rangeKeys) % loadKeys;
    ranges += 1;
  }
  return ranges;
}

/** Watches every key from `startRevision` until the watch has delivered `untilRevision`. */
async function watchCatchUp(client: EtcdClient, startRevision: number, untilRevision: number): Promise<number> {
  let events = 0;
  const watcher = await client.watch.watch('', { fromKey: true, startRevision, batchesBufferedMax: 1_000_000 });
  for await (const batch of watcher) {
    events += batch.events.length;
    if (batch.header.revision >= untilRevision && (batch.events.at(-1)?.kv.modRevision ?? 0) >= untilRevision) break;
    if (batch.events.length === 0 && batch.header.revision >= untilRevision) break;
  }
  watcher.cancel();
  return events;
}

/**
 * A physical Compact; a retry after a failover may find it applied already (OUT_OF_RANGE), which
 * is what the first attempt did.
 */
async function compact(client: EtcdClient, revision: number): Promise<void> {
  await client.kv.compact(revision, { physical: true }).catch((error: unknown) => {
    if ((error as { codeName?: string }).codeName !== 'OUT_OF_RANGE') throw error;
  });
}

async function revisionOf(client: EtcdClient): Promise<number> {
  return (await client.maintenance.status()).header.revision;
}

async function main(): Promise<void> {
  const cluster = await RafterCluster.start({
    members: 3,
    snapshotCount,
    snapshotCatchupEntries: Math.max(100, Math.floor(snapshotCount / 4)),
    extraArgs: [`--heartbeat-interval=${heartbeatMs}`, `--election-timeout=${electionMs}`, '--log-level=warn'],
  });
  const endpoints = cluster.members.map((m) => `127.0.0.1:${m.clientPort}`);
  const client = new EtcdClient({ endpoints, callTimeoutMs: 60_000 });
  const stop = { done: false };
  const observer = observe(cluster, stop);
  const totalMs = minutes * 60_000;
  const deadline = benchStartedMs + totalMs;
  let writer: Promise<void> | null = null;
  try {
    startPhase('idle');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    writer = steadyWriter(client, stop);
    startPhase('steady writes');
    await new Promise((resolve) => setTimeout(resolve, Math.min(20_000, totalMs / 20)));

    startPhase(`load ${loadKeys} keys`);
    await load(client, 'load', loadKeys);
    const oldRevision = await revisionOf(client);

    startPhase('rewrite load (history)');
    await load(client, 'load', loadKeys);

    startPhase('compact most history');
    let compactTo = (await revisionOf(client)) - 100;
    await compact(client, compactTo);

    startPhase('defragment each');
    for (const member of cluster.members) {
      const one = new EtcdClient({ endpoints: [`127.0.0.1:${member.clientPort}`], callTimeoutMs: 300_000 });
      await one.maintenance.defragment();
      one.close();
    }

    startPhase('snapshot to a member behind');
    const leader = await cluster.leader();
    const follower = cluster.members.find((m) => m !== leader)!;
    await cluster.kill(follower, 'SIGTERM');
    const others = new EtcdClient({ endpoints: cluster.members.filter((m) => m !== follower).map((m) => `127.0.0.1:${m.clientPort}`), callTimeoutMs: 60_000 });
    await load(others, 'behind', behindKeys);
    others.close();
    await cluster.restart(follower);
    const target = await revisionOf(client);
    const followerClient = new EtcdClient({ endpoints: [`127.0.0.1:${follower.clientPort}`] });
    for (let i = 0; i < 1200 && (await followerClient.kv.get('steady/0', { serializable: true })).header.revision < target; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    followerClient.close();

    startPhase('1000-key range loop');
    // Time-bounded phases run at least a while even when the load took longer than the budget.
    const ranges = await rangeLoop(client, performance.now() + Math.max(20_000, totalMs / 10));
    console.log(`  ${ranges} ranges`);

    startPhase('watch catch-up from old revision');
    const from = Math.max(compactTo + 1, oldRevision);
    const events = await watchCatchUp(client, from, await revisionOf(client));
    console.log(`  ${events} events from revision ${from}`);

    startPhase('mixed (all of the above)');
    let round = 0;
    do {
      round += 1;
      const base = await revisionOf(client);
      await Promise.all([
        load(client, 'load', Math.min(loadKeys, 20_000)),
        rangeLoop(client, performance.now() + 10_000),
        watchCatchUp(client, Math.max(compactTo + 1, base - 10_000), base),
      ]);
      compactTo = (await revisionOf(client)) - 1_000;
      await compact(client, compactTo);
      if (round % 2 === 0) {
        const member = cluster.members[round % cluster.members.length]!;
        const one = new EtcdClient({ endpoints: [`127.0.0.1:${member.clientPort}`], callTimeoutMs: 300_000 });
        await one.maintenance.defragment();
        one.close();
      }
    } while (performance.now() < deadline - 5_000);
    endPhase();
  } finally {
    stop.done = true;
    await writer;
    await observer;
    const leaderChangesSeen = await Promise.all(cluster.members.map((m) => metricValue(cluster, m, 'etcd_server_leader_changes_seen_total')));
    const terms = await Promise.all(cluster.members.map((m) => cluster.raftStatus(m).then((v) => v.status.term).catch(() => null)));
    client.close();
    await cluster.stop();
    report(leaderChangesSeen, terms);
  }
}

function report(leaderChangesSeen: readonly (number | null)[], terms: readonly (number | null)[]): void {
  console.log(`\nheartbeat ${heartbeatMs} ms, election timeout ${electionMs} ms, snapshot-count ${snapshotCount}, ${minutes} min, ${loadKeys} keys of ${valueBytes} B values`);
  console.log('max event-loop delay per phase (ms); marks: * over 150 ms, ** over the election timeout');
  const header = ['phase', 'secs', 'm1', 'm2', 'm3', 'terms+', 'leaders+'];
  const rows = phases.map((p) => [
    p.name,
    (((p.endedMs || performance.now()) - p.startedMs) / 1000).toFixed(0),
    ...p.maxDelayMs.map((ms) => `${ms.toFixed(0)}${ms > electionMs ? '**' : ms > tightElectionMs ? '*' : ''}`),
    String(p.termChanges),
    String(p.leaderChanges),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log(`final terms ${terms.join(' / ')}; etcd_server_leader_changes_seen_total ${leaderChangesSeen.join(' / ')}`);
  for (const change of changes) console.log(`  ${change}`);
}

await main();
