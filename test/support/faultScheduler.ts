// A seeded fault scheduler over a RafterCluster: a fault (or two at once) held for a drawn
// duration, then healed, and the time until the cluster serves a linearizable read again
// measured. Faults: SIGKILL and restart of the leader, a follower or a majority, SIGSTOP/SIGCONT
// pauses longer than the election timeout, partitions through the transport fault hooks (a
// follower or the leader isolated, a bridge topology, one-way loss from the leader to a follower),
// delayed peer messages from the leader, leader transfer, and membership changes under load (a
// member removed and added back, a member's disk wiped and the member replaced, a member re-added
// as a learner and promoted), and an operator's maintenance under load (defragmenting one member
// or every member, compacting the history the watchers have passed). Snapshots are forced by
// starting the cluster with a small --snapshot-count. It owns injecting and healing faults; checking what clients saw is the
// workload's and checkers' job.
import { performance } from 'node:perf_hooks';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { assert } from '../../core/raft/assert.js';
import { Random } from '../../core/raft/random.js';
import { addBack, memberIdOf, removeMember, wipe } from './memberReplacement.js';
import type { RafterCluster, RafterMember } from './rafterCluster.js';

export type FaultKind =
  | 'kill-leader'
  | 'kill-follower'
  | 'kill-majority'
  | 'pause-leader'
  | 'pause-follower'
  | 'isolate-follower'
  | 'isolate-leader'
  | 'bridge'
  | 'one-way-loss'
  | 'delay-leader'
  | 'move-leader'
  | 'remove-readd'
  | 'wipe-readd'
  | 'learner-promote'
  | 'defrag-one'
  | 'defrag-all'
  | 'compact'
  | 'double';

export const faultKinds: readonly FaultKind[] = [
  'kill-leader',
  'kill-follower',
  'kill-majority',
  'pause-leader',
  'pause-follower',
  'isolate-follower',
  'isolate-leader',
  'bridge',
  'one-way-loss',
  'delay-leader',
  'move-leader',
  'remove-readd',
  'wipe-readd',
  'learner-promote',
  'defrag-one',
  'defrag-all',
  'compact',
  'double',
];

/** Whether a fault kills or pauses a process (after which it answers nothing). */
function stopsProcess(kind: FaultKind): boolean {
  return kind.startsWith('kill-') || kind.startsWith('pause-');
}

/** Faults that change membership; they run alone, never as half of a `double`. */
const membershipKinds: readonly FaultKind[] = ['remove-readd', 'wipe-readd', 'learner-promote'];

/** Delay added to every peer message the leader sends in a `delay-leader` fault. */
export const peerDelayMs = 300;

/** Attempts (50 ms apart, each with its own deadline) to serve a read after a fault healed. */
export const recoveryAttemptsMax = 600;
const recoveryCallTimeoutMs = 2_000;
/** Deadline of a defragment or compaction call (a defragment copies the whole store). */
const maintenanceCallTimeoutMs = 30_000;
const pollPauseMs = 50;

export interface FaultSchedulerOptions {
  readonly seed: number;
  /** Faults to draw from; default every kind. */
  readonly kinds?: readonly FaultKind[];
  /** `cycle` takes the kinds in their order, round and round, instead of drawing them. */
  readonly order?: 'random' | 'cycle';
  /** Stop after this many faults (default: only stop()). */
  readonly faultsMax?: number;
  /** How long a fault is held (drawn uniformly); pauses should exceed the election timeout. */
  readonly holdMsMin?: number;
  readonly holdMsMax?: number;
  /** Quiet time between a recovery and the next fault. */
  readonly quietMs?: number;
  /** Progress lines (fault injected, healed, recovered); default silent. */
  readonly log?: (line: string) => void;
  /**
   * Called with `start` before a member is removed or its disk wiped, and with `end` once the new
   * member (empty store, same name and URLs) serves: in between either may answer, and after it
   * only the new one (so, for example, its serializable reads start over).
   */
  readonly onMemberReplaced?: (name: string, phase: 'start' | 'end') => void;
  /**
   * The revision a `compact` fault may compact to: one every watcher has already passed, so no
   * watch is cancelled for compaction. Without it, `compact` compacts nothing.
   */
  readonly compactRevision?: () => number;
}

/** One injected fault: when it started and healed, and how long the cluster took to serve. */
export interface FaultRecord {
  /** The fault's kind; for `double`, both kinds joined by "+". */
  readonly kind: string;
  readonly member: string;
  readonly startMs: number;
  readonly healedMs: number;
  /** From healing until a linearizable read succeeded. */
  readonly recoveryMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Targets {
  readonly leader: RafterMember;
  readonly follower: RafterMember;
  /** Another follower where there is one, else `follower` again. */
  readonly otherFollower: RafterMember;
}

/**
 * Injects faults until stop() is called. Every fault is healed before the next starts and before
 * run() resolves; heal() undoes a fault left by an error (continues paused members, clears
 * transport faults, restarts killed members).
 */
export class FaultScheduler {
  readonly records: FaultRecord[] = [];
  private readonly random: Random;
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly paused = new Set<RafterMember>();
  private readonly killed = new Set<RafterMember>();
  /** Members whose transport fault hooks are set. */
  private readonly transportFaulted = new Set<RafterMember>();
  /** A member taken out by a membership fault, to add back (after removing its stale id, if set). */
  private pendingRejoin: { member: RafterMember; staleIdHex: string | null; learner: boolean } | undefined;

  constructor(
    private readonly cluster: RafterCluster,
    private readonly options: FaultSchedulerOptions,
  ) {
    this.random = new Random(options.seed);
  }

  /** Runs faults one after another until stop(); resolves once the last one healed. */
  async run(): Promise<void> {
    const kinds = this.options.kinds ?? faultKinds;
    while (!this.stopping && this.records.length < (this.options.faultsMax ?? Infinity)) {
      const kind = this.options.order === 'cycle' ? kinds[this.records.length % kinds.length]! : this.random.pick(kinds);
      const holdMsMin = this.options.holdMsMin ?? 1_000;
      const holdMs = holdMsMin + this.random.nextInt(Math.max(1, (this.options.holdMsMax ?? 4_000) - holdMsMin));
      const startMs = performance.now();
      const { name, members } = await this.injectDrawn(kind);
      this.log(`fault ${name} on ${members}, held ${holdMs} ms`);
      await this.pause(holdMs);
      await this.heal();
      const healedMs = performance.now();
      await this.waitServing();
      const record = { kind: name, member: members, startMs, healedMs, recoveryMs: performance.now() - healedMs };
      this.records.push(record);
      this.log(`healed ${name} on ${members}; serving again after ${record.recoveryMs.toFixed(0)} ms`);
      await this.pause(this.options.quietMs ?? 1_000);
    }
  }

  /** Injects `kind` (for `double`, two other kinds drawn together); returns what it hit. */
  private async injectDrawn(kind: FaultKind): Promise<{ name: string; members: string }> {
    const targets = await this.targets();
    if (kind !== 'double') return { name: kind, members: (await this.inject(kind, targets)).name };
    const isSimple = (k: FaultKind): boolean => k !== 'double' && !membershipKinds.includes(k);
    const chosen = (this.options.kinds ?? faultKinds).filter(isSimple);
    // Two different kinds from those chosen, or from every simple kind when fewer than two are.
    const pool = chosen.length >= 2 ? chosen : faultKinds.filter(isSimple);
    const first = this.random.pick(pool);
    const second = this.random.pick(pool.filter((k) => k !== first));
    // The second fault aims at the other follower where there is one, from the same view of who leads.
    const swapped = { ...targets, follower: targets.otherFollower, otherFollower: targets.follower };
    // Faults that need the member to answer (transport hooks, leader transfer) go in before a kill
    // or pause could leave it unable to.
    const [a, b] = stopsProcess(first) && !stopsProcess(second) ? [second, first] : [first, second];
    const hit = [await this.inject(a, targets), await this.inject(b, swapped)];
    return { name: `${a}+${b}`, members: [...new Set(hit.map((m) => m.name))].join('+') };
  }

  /** The leader and two followers (the same one twice in a 2-member cluster), read once per fault. */
  private async targets(): Promise<Targets> {
    const leader = await this.cluster.leader();
    const followers = this.cluster.members.filter((m) => m !== leader && m.process !== undefined);
    assert(followers.length > 0, 'a fault needs a follower');
    const follower = this.random.pick(followers);
    const otherFollower = followers.find((m) => m !== follower) ?? follower;
    return { leader, follower, otherFollower };
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Asks run() to finish after healing the current fault. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /** A wait that stop() cuts short (the fault is then healed at once). */
  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async inject(kind: FaultKind, targets: Targets): Promise<RafterMember> {
    const { leader, follower } = targets;
    switch (kind) {
      case 'kill-leader':
      case 'kill-follower': {
        const target = kind === 'kill-leader' ? leader : follower;
        this.killed.add(target);
        await this.cluster.kill(target, 'SIGKILL');
        return target;
      }
      case 'kill-majority': {
        this.killed.add(leader);
        this.killed.add(follower);
        await Promise.all([this.cluster.kill(leader, 'SIGKILL'), this.cluster.kill(follower, 'SIGKILL')]);
        return leader;
      }
      case 'bridge': {
        // Two members cannot reach each other; the third (the bridge) reaches both.
        const ends = this.cluster.members.filter((m) => m !== follower && m.process !== undefined);
        const [left, right] = ends;
        if (left !== undefined && right !== undefined) {
          const [leftId, rightId] = await Promise.all([this.memberId(left), this.memberId(right)]);
          await this.setFaults(left, { dropTo: [rightId], dropFrom: [rightId] });
          await this.setFaults(right, { dropTo: [leftId], dropFrom: [leftId] });
        }
        return follower;
      }
      case 'one-way-loss': {
        await this.setFaults(leader, { dropTo: [await this.memberId(follower)], dropFrom: [] });
        return follower;
      }
      case 'delay-leader': {
        await this.setFaults(leader, { dropTo: [], dropFrom: [], delayMs: peerDelayMs });
        return leader;
      }
      case 'pause-leader':
      case 'pause-follower': {
        const target = kind === 'pause-leader' ? leader : follower;
        this.paused.add(target);
        target.process?.kill('SIGSTOP');
        return target;
      }
      case 'isolate-leader':
      case 'isolate-follower': {
        const target = kind === 'isolate-leader' ? leader : follower;
        await this.isolate(target);
        return target;
      }
      case 'move-leader': {
        const targetId = (await this.cluster.raftStatus(follower)).memberId;
        const client = new EtcdClient({ endpoints: [`127.0.0.1:${leader.clientPort}`] });
        try {
          await client.maintenance.moveLeader(BigInt(`0x${targetId}`), { endpoint: `127.0.0.1:${leader.clientPort}`, timeoutMs: 5_000 });
        } catch (error) {
          // Leadership may have moved on its own since it was looked up; the transfer is then moot.
          this.log(`leader transfer to ${follower.name} refused: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
          client.close();
        }
        return follower;
      }
      case 'remove-readd':
      case 'learner-promote':
      case 'wipe-readd': {
        // Any member, the leader included: removing the leader makes the others elect a new one.
        const target = this.random.pick([leader, follower, targets.otherFollower]);
        await this.replace(kind, target);
        return target;
      }
      case 'defrag-one':
      case 'defrag-all': {
        const running = this.cluster.members.filter((m) => m.process !== undefined);
        const chosen = kind === 'defrag-one' ? [this.random.pick([leader, follower])] : running;
        for (const target of chosen) await this.maintain(target, 'defragment', (client, endpoint) => client.maintenance.defragment({ endpoint, timeoutMs: maintenanceCallTimeoutMs }));
        return chosen[0]!;
      }
      case 'compact': {
        const revision = this.options.compactRevision?.() ?? 0;
        if (revision > 1) await this.maintain(leader, `compaction to ${revision}`, (client) => client.kv.compact(revision, { timeoutMs: maintenanceCallTimeoutMs }));
        return leader;
      }
      case 'double':
        throw new Error('a double fault is drawn by injectDrawn');
    }
  }

  /**
   * The first half of a membership fault: `remove-readd` and `learner-promote` remove the running
   * member through the Cluster API (it shuts down) and wipe its disk; `wipe-readd` kills it and
   * wipes its disk while it is still a member. heal() adds it back.
   */
  private async replace(kind: 'remove-readd' | 'wipe-readd' | 'learner-promote', target: RafterMember): Promise<void> {
    const idHex = await memberIdOf(this.cluster, target);
    this.options.onMemberReplaced?.(target.name, 'start');
    if (kind === 'wipe-readd') {
      await this.cluster.kill(target, 'SIGKILL');
      await wipe(target);
      this.pendingRejoin = { member: target, staleIdHex: idHex, learner: false };
    } else {
      // Marked before the removal so that a failure half-way is still healed by adding it back.
      this.pendingRejoin = { member: target, staleIdHex: idHex, learner: kind === 'learner-promote' };
      await removeMember(this.cluster, target, idHex);
      this.pendingRejoin = { ...this.pendingRejoin, staleIdHex: null };
      await wipe(target);
    }
  }

  /**
   * Runs an operator's maintenance call against `target`. A refusal (the member is isolated or
   * paused by the other half of a double fault, or a compaction is already past) is logged, as an
   * operator would see it; what matters is that the cluster stays correct and recovers.
   */
  private async maintain(target: RafterMember, what: string, call: (client: EtcdClient, endpoint: string) => Promise<unknown>): Promise<void> {
    const endpoint = `127.0.0.1:${target.clientPort}`;
    const client = new EtcdClient({ endpoints: [endpoint] });
    try {
      await call(client, endpoint);
    } catch (error) {
      this.log(`${what} on ${target.name} refused: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      client.close();
    }
  }

  private async memberId(member: RafterMember): Promise<string> {
    return (await this.cluster.raftStatus(member)).memberId;
  }

  private async setFaults(member: RafterMember, faults: { dropTo: string[]; dropFrom: string[]; delayMs?: number }): Promise<void> {
    this.transportFaulted.add(member);
    await this.cluster.setFaults(member, faults);
  }

  private async isolate(target: RafterMember): Promise<void> {
    const running = this.cluster.members.filter((m) => m.process !== undefined);
    const ids = await Promise.all(running.map((m) => this.memberId(m)));
    const targetId = await this.memberId(target);
    const others = ids.filter((id) => id !== targetId);
    await this.setFaults(target, { dropTo: others, dropFrom: others });
  }

  /**
   * Undoes every fault in place: continue paused members, clear transport faults and, unless
   * `restart` is false (the cluster is being stopped), restart killed members. A member is
   * restarted at most once per fault, and never while it still runs.
   */
  async heal(restart = true): Promise<void> {
    for (const member of this.paused) member.process?.kill('SIGCONT');
    this.paused.clear();
    const faulted = [...this.transportFaulted];
    this.transportFaulted.clear();
    for (const member of faulted) {
      if (member.process !== undefined) await this.cluster.setFaults(member, { dropTo: [], dropFrom: [] });
    }
    const killed = [...this.killed];
    this.killed.clear();
    if (!restart) return;
    for (const member of killed) if (member.process === undefined) await this.cluster.restart(member);
    const rejoin = this.pendingRejoin;
    if (rejoin !== undefined) {
      if (rejoin.member.process !== undefined) await this.cluster.kill(rejoin.member, 'SIGKILL');
      await wipe(rejoin.member);
      if (rejoin.staleIdHex !== null) {
        this.log(`removing ${rejoin.member.name}'s old member id ${rejoin.staleIdHex}`);
        await removeMember(this.cluster, rejoin.member, rejoin.staleIdHex);
      }
      this.log(`adding ${rejoin.member.name} back${rejoin.learner ? ' as a learner' : ''}`);
      await addBack(this.cluster, rejoin.member, { learner: rejoin.learner, log: (line) => this.log(line) });
      this.pendingRejoin = undefined;
      this.options.onMemberReplaced?.(rejoin.member.name, 'end');
    }
  }

  /**
   * Waits (bounded) until a linearizable read succeeds: it needs a leader that can confirm its
   * leadership with a quorum. (A read, not a write: the probe must not create revisions that the
   * workload's watchers, which cover only its own keys, would see as gaps.)
   */
  private async waitServing(): Promise<void> {
    const endpoints = this.cluster.endpoints;
    if (endpoints.length === 0) {
      const exits = this.cluster.members.map((m) => `${m.name} exited with ${m.exitCode}`).join(', ');
      throw new Error(`no member is running after healing a fault: ${exits}`);
    }
    const client = new EtcdClient({ endpoints });
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await client.kv.get('/faults/probe', { timeoutMs: recoveryCallTimeoutMs });
          return;
        } catch (error) {
          if (attempt + 1 >= recoveryAttemptsMax) throw new Error(`the cluster did not serve again after a fault: ${error instanceof Error ? error.message : String(error)}`);
          await sleep(pollPauseMs);
        }
      }
    } finally {
      client.close();
    }
  }
}
