// A deterministic, seeded simulator of whole Raft clusters: real RaftNodes over a durable
// in-memory store that holds exactly what each Ready said to persist, a network that loses,
// delays, reorders and duplicates messages, partitions (both ways and one way), crashes that
// lose everything unpersisted, membership changes, leader transfers, snapshots, and clients that
// write and read throughout. Safety is checked after every step; liveness once faults stop.

import {
  MemoryStorage,
  RaftError,
  RaftNode,
  Random,
  decodeConfChange,
  nodeId,
} from '../../../core/raft/index.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Index,
  Message,
  NodeId,
  Ready,
} from '../../../core/raft/index.js';
import { InvariantChecker, InvariantViolation } from './invariants.js';
import { decodeAppState, encodeAppState, writeData, writeIdOf } from './simApp.js';
import type { SimAppState } from './simApp.js';
import { SimNetwork } from './simNetwork.js';
import type { InFlight } from './simNetwork.js';
import { drawProfile } from './simProfile.js';
import type { SimProfile } from './simProfile.js';
import { newStats } from './simStats.js';
import type { SimulationStats } from './simStats.js';

/** Knobs of one run; everything not given is drawn from the seed. */
export interface SimulationOptions {
  readonly seed: number;
  /** Ticks of faults and load before the network heals. */
  readonly chaosTicks?: number;
  /** Ticks allowed, once faults stop, for a leader to emerge and every write to commit. */
  readonly livenessTicksMax?: number;
}


interface PendingRead {
  readonly required: { readonly index: number; readonly id: string } | null;
}

interface ConfirmedRead extends PendingRead {
  readonly index: number;
}

interface SimMember {
  readonly id: NodeId;
  /** What survives a crash: exactly what Readies asked to persist. */
  readonly storage: MemoryStorage;
  node: RaftNode | null;
  app: SimAppState;
  removed: boolean;
  checkedCommit: number;
  readonly pendingReads: Map<string, PendingRead>;
  confirmedReads: ConfirmedRead[];
  readonly snapshotReports: { to: NodeId; ok: boolean }[];
}

/** Bound on messages delivered within one tick (a livelock fails instead of hanging). */
const deliveriesPerTickMax = 50_000;
/** Bound on members ever added to one run. */
const addedMembersMax = 3;
const electionTicks = 10;
/** Ticks after recovery within which every member must have applied the leader's commit. */
const convergenceTicks = 6 * electionTicks;
const decoder = new TextDecoder();

export class Simulation {
  readonly random: Random;
  readonly checker = new InvariantChecker();
  readonly stats: SimulationStats;
  private now = 0;
  private chaos = true;
  private readonly members = new Map<NodeId, SimMember>();
  private readonly network = new SimNetwork();
  private readonly writes = new Map<string, { committed: boolean; lastAttempt: number }>();
  private nextWrite = 0;
  private nextRead = 0;
  private nextMember: number;
  private added = 0;
  private readonly profile: SimProfile;
  private readonly chaosTicks: number;
  private readonly livenessTicksMax: number;
  private readonly retryTicks = 3 * electionTicks;

  constructor(options: SimulationOptions) {
    this.random = new Random(options.seed);
    const r = this.random;
    this.profile = drawProfile(r);
    const size = this.profile.size;
    this.chaosTicks = options.chaosTicks ?? 800;
    this.livenessTicksMax = options.livenessTicksMax ?? 400;
    const ids = Array.from({ length: size }, (_, i) => nodeId(`n${i + 1}`));
    this.nextMember = size + 1;
    const conf: ConfState = { voters: ids, learners: [] };
    for (const id of ids) this.createMember(id, MemoryStorage.bootstrap(conf));
    this.stats = newStats(size);
  }

  /** Runs chaos then recovery; throws InvariantViolation on any safety or liveness failure. */
  run(): SimulationStats {
    for (let t = 0; t < this.chaosTicks; t++) this.tick();
    this.stopFaults();
    let done = false;
    for (let t = 0; t < this.livenessTicksMax && !done; t++) {
      this.tick();
      done = this.settled();
    }
    if (!done) {
      const pending = [...this.writes.entries()].filter(([, w]) => !w.committed).map(([id]) => id);
      throw new InvariantViolation(
        'liveness',
        `${this.livenessTicksMax} ticks after faults stopped: leader ${this.currentLeader()?.id ?? 'none'}, ` +
          `${pending.length} writes uncommitted (${pending.slice(0, 5).join(', ')})`,
      );
    }
    this.checkConvergence();
    this.stats.maxCommittedIndex = this.checker.maxCommittedIndex;
    return this.stats;
  }

  /** With the network quiet, every member in the configuration catches up with the leader. */
  private checkConvergence(): void {
    for (let t = 0; t < convergenceTicks; t++) this.tick();
    const leader = this.currentLeader();
    if (leader === null) throw new InvariantViolation('liveness', 'the leader was lost with no faults');
    const status = leader.node!.status();
    for (const id of [...status.conf.voters, ...status.conf.learners]) {
      const member = this.members.get(id);
      if (member === undefined || member.node === null) {
        throw new InvariantViolation('liveness', `member ${id} of the configuration is not running`);
      }
      if (member.app.appliedIndex !== status.commit) {
        throw new InvariantViolation(
          'liveness',
          `${id} applied ${member.app.appliedIndex} of ${status.commit} ${convergenceTicks} ticks after recovery`,
        );
      }
    }
  }

  // ---- members ----------------------------------------------------------------------------

  private createMember(id: NodeId, storage: MemoryStorage): SimMember {
    const member: SimMember = {
      id,
      storage,
      node: null,
      app: { appliedIndex: 0 as Index, writeIds: new Set(), conf: { voters: [], learners: [] } },
      removed: false,
      checkedCommit: storage.hardState().commit,
      pendingReads: new Map(),
      confirmedReads: [],
      snapshotReports: [],
    };
    this.members.set(id, member);
    this.start(member);
    return member;
  }

  /** Starts (or restarts) a member from its durable store. */
  private start(member: SimMember): void {
    const snapshot = member.storage.snapshot();
    member.app = decodeAppState(snapshot.data, snapshot.meta.index, snapshot.meta.conf);
    member.node = new RaftNode({
      id: member.id,
      electionTicks,
      heartbeatTicks: this.profile.heartbeatTicks,
      storage: member.storage,
      random: this.random.fork(),
      applied: snapshot.meta.index,
      preVote: this.profile.preVote,
      checkQuorum: this.profile.checkQuorum,
      maxSizePerMsgBytes: this.profile.messageBytesMax,
      maxInflightMsgs: this.profile.inflightMax,
    });
    member.pendingReads.clear();
    member.confirmedReads = [];
    member.snapshotReports.length = 0;
  }

  /** Loses everything not persisted: the node, its pending reads, messages on their way to it. */
  private crash(member: SimMember): void {
    member.node = null;
    member.pendingReads.clear();
    member.confirmedReads = [];
    for (const item of this.network.dropTo(member.id)) {
      // The transport notices the broken connection and reports the snapshot as failed.
      if (item.message.type === 'snapshot') {
        this.members.get(item.sender)?.snapshotReports.push({ to: member.id, ok: false });
      }
    }
    this.stats.crashes++;
  }

  private alive(): SimMember[] {
    const out: SimMember[] = [];
    for (const member of this.members.values()) if (member.node !== null) out.push(member);
    return out;
  }

  private currentLeader(): SimMember | null {
    let best: SimMember | null = null;
    let bestTerm = -1;
    for (const member of this.members.values()) {
      const state = member.node?.softState();
      if (state !== undefined && state.role === 'leader' && state.term > bestTerm) {
        best = member;
        bestTerm = state.term;
      }
    }
    return best;
  }

  // ---- time -------------------------------------------------------------------------------

  private tick(): void {
    this.now++;
    this.stats.ticks++;
    if (this.chaos) this.injectFaults();
    this.clients();
    for (const member of this.members.values()) {
      if (member.node === null) continue;
      for (const report of member.snapshotReports.splice(0)) member.node.reportSnapshot(report.to, report.ok);
      // A little clock drift: members do not tick in lockstep.
      if (this.chaos && this.random.chance(0.03)) continue;
      member.node.tick();
      this.processReady(member);
    }
    this.deliverDue();
  }

  private stopFaults(): void {
    this.chaos = false;
    this.network.heal();
    for (const member of this.members.values()) {
      if (member.node === null && !member.removed) this.start(member);
    }
  }

  /** Recovered: a leader exists and every write ever proposed has committed. */
  private settled(): boolean {
    if (this.currentLeader() === null) return false;
    for (const write of this.writes.values()) if (!write.committed) return false;
    return true;
  }

  private injectFaults(): void {
    const r = this.random;
    const alive = this.alive().filter((m) => !m.removed);
    const crashed = [...this.members.values()].filter((m) => m.node === null && !m.removed);
    if (alive.length > 0 && crashed.length < 2 && r.chance(this.profile.crashRate)) {
      // Leaders crash more often than others: that is where elections and overwrites happen.
      const leader = this.currentLeader();
      this.crash(leader !== null && r.chance(0.5) ? leader : r.pick(alive));
    }
    for (const member of crashed) if (r.chance(0.1)) this.start(member);
    if (r.chance(this.profile.partitionRate)) this.partition();
    if (this.network.partitioned && r.chance(0.05)) this.network.heal();
    if (r.chance(this.profile.confChangeRate)) this.changeMembership();
    if (r.chance(0.005)) this.transferLeadership();
  }

  private partition(): void {
    const ids = [...this.members.keys()];
    this.stats.partitions++;
    const leader = this.currentLeader();
    if (leader !== null && this.random.chance(0.4)) {
      // Isolate the leader: the rest elect a new one while it keeps accepting proposals.
      this.network.isolate(leader.id, ids);
    } else if (this.random.chance(0.3)) {
      // One way: `a` cannot reach `b`, but hears from it.
      this.network.cut(this.random.pick(ids), this.random.pick(ids));
    } else {
      this.network.split(ids, this.random);
    }
  }

  // ---- clients ----------------------------------------------------------------------------

  private clients(): void {
    const r = this.random;
    const candidates = this.alive().filter((m) => !m.removed);
    if (candidates.length === 0) return;
    if (this.chaos && r.chance(0.4)) {
      const id = `w${this.nextWrite++}`;
      this.writes.set(id, { committed: false, lastAttempt: this.now });
      this.stats.writesProposed++;
      this.proposeWrite(r.pick(candidates), id);
    }
    for (const [id, write] of this.writes) {
      if (write.committed || this.now - write.lastAttempt < this.retryTicks) continue;
      write.lastAttempt = this.now;
      this.proposeWrite(this.currentLeader() ?? r.pick(candidates), id);
    }
    if (r.chance(0.3)) this.read(r.pick(candidates));
  }

  private proposeWrite(member: SimMember, id: string): void {
    try {
      member.node!.propose(writeData(id));
    } catch (error) {
      if (!(error instanceof RaftError)) throw error;
    }
    this.processReady(member);
  }

  private read(member: SimMember): void {
    const key = `r${this.nextRead++}`;
    const last = this.checker.lastCommittedWrite;
    try {
      member.node!.readIndex(new TextEncoder().encode(key));
    } catch (error) {
      if (!(error instanceof RaftError)) throw error;
      return;
    }
    member.pendingReads.set(key, { required: last === null ? null : { index: last.index, id: last.id } });
    this.processReady(member);
  }

  private changeMembership(): void {
    const leader = this.currentLeader();
    if (leader === null) return;
    const conf = leader.node!.status().conf;
    const r = this.random;
    const options: ConfChange['type'][] = [];
    const canAdd = conf.voters.length < 5 && this.added < addedMembersMax;
    if (canAdd) options.push('addVoter', 'addLearner');
    if (conf.learners.length > 0) options.push('promoteLearner', 'removeVoter');
    if (conf.voters.length > 3) options.push('removeVoter');
    if (options.length === 0) return;
    const type = r.pick(options);
    let target: NodeId;
    if (type === 'addVoter' || type === 'addLearner') target = nodeId(`n${this.nextMember}`);
    else if (type === 'promoteLearner') target = r.pick(conf.learners);
    else target = r.pick(conf.voters.length > 3 ? [...conf.voters, ...conf.learners] : conf.learners);
    try {
      leader.node!.proposeConfChange({ type, nodeId: target, context: new Uint8Array(0) });
    } catch (error) {
      if (!(error instanceof RaftError)) throw error;
      return;
    }
    this.stats.confChanges++;
    if (type === 'addVoter' || type === 'addLearner') {
      this.nextMember++;
      this.added++;
      this.stats.members++;
      this.createMember(target, new MemoryStorage());
    }
    this.processReady(leader);
  }

  private transferLeadership(): void {
    const leader = this.currentLeader();
    if (leader === null) return;
    const voters = leader.node!.status().conf.voters.filter((id) => id !== leader.id);
    if (voters.length === 0) return;
    try {
      leader.node!.transferLeader(this.random.pick(voters));
      this.stats.transfers++;
    } catch (error) {
      if (!(error instanceof RaftError)) throw error;
    }
    this.processReady(leader);
  }

  // ---- network ----------------------------------------------------------------------------

  private send(sender: SimMember, message: Message): void {
    const r = this.random;
    if (this.chaos && r.chance(this.profile.lossRate)) {
      if (message.type === 'snapshot') sender.snapshotReports.push({ to: message.to, ok: false });
      return;
    }
    const delay = !this.chaos || r.chance(0.5) ? 0 : 1 + r.nextInt(this.profile.delayTicksMax);
    this.network.schedule(this.now + delay, { sender: sender.id, message });
    if (this.chaos && r.chance(this.profile.duplicateRate)) {
      this.network.schedule(this.now + 1 + r.nextInt(this.profile.delayTicksMax), { sender: sender.id, message });
    }
  }

  private deliverDue(): void {
    let delivered = 0;
    for (;;) {
      const due = this.network.takeDue(this.now, this.random, this.chaos ? this.profile.reorderRate : 0);
      if (due === null) return;
      for (const item of due) {
        this.deliver(item);
        if (++delivered > deliveriesPerTickMax) {
          throw new InvariantViolation('liveness', `more than ${deliveriesPerTickMax} messages in one tick`);
        }
      }
    }
  }

  private deliver(item: InFlight): void {
    const { sender, message } = item;
    const target = this.members.get(message.to);
    const from = this.members.get(sender);
    const lost = target?.node == null || this.network.isBlocked(sender, message.to);
    if (lost) {
      if (message.type === 'snapshot' && from?.node != null) {
        from.node.reportSnapshot(message.to, false);
        this.processReady(from);
      } else if (from?.node != null && this.random.chance(0.2)) {
        from.node.reportUnreachable(message.to);
        this.processReady(from);
      }
      return;
    }
    this.stats.messagesDelivered++;
    target.node!.step(message);
    this.processReady(target);
    if (message.type === 'snapshot') {
      this.stats.snapshotsSent++;
      if (from?.node != null) {
        from.node.reportSnapshot(message.to, true);
        this.processReady(from);
      }
    }
  }

  // ---- the application --------------------------------------------------------------------

  /** Handles every Ready of `member` in the documented order, checking invariants as it goes. */
  private processReady(member: SimMember): void {
    const node = member.node;
    if (node === null) return;
    while (node.hasReady()) {
      const ready = node.ready();
      this.persist(member, ready);
      for (const message of ready.messages) this.send(member, message);
      this.apply(member, ready);
      node.advance(ready);
      for (const report of member.snapshotReports.splice(0)) node.reportSnapshot(report.to, report.ok);
      if (member.removed) break;
    }
    // Members whose removal committed shut down once their current Ready is done.
    for (const removed of this.members.values()) {
      if (removed.removed && removed.node !== null) this.crash(removed);
    }
  }

  private termAt(storage: MemoryStorage, i: Index): number | null {
    if (i < storage.firstIndex() - 1 || i > storage.lastIndex()) return null;
    return storage.term(i);
  }

  private persist(member: SimMember, ready: Ready): void {
    const storage = member.storage;
    if (ready.snapshot !== null) storage.applySnapshot(ready.snapshot);
    if (ready.entries.length > 0) {
      storage.append(ready.entries);
      this.checker.entriesPersisted(member.id, ready.entries, (i) => this.termAt(storage, i));
    }
    if (ready.hardState !== null) {
      storage.setHardState(ready.hardState);
      this.checkCommitted(member, ready.hardState);
    }
    if (ready.softState?.role === 'leader') {
      const term = member.node!.softState().term;
      this.stats.leadersElected++;
      this.checker.leaderElected(member.id, term);
      this.checker.leaderLog(member.id, term, storage.firstIndex(), (i) => this.termAt(storage, i));
      if (this.chaos && this.random.chance(this.profile.newLeaderIsolationRate)) {
        this.network.isolate(member.id, this.members.keys());
      }
    }
  }

  /** Everything up to a persisted commit index is committed: record and compare it. */
  private checkCommitted(member: SimMember, hardState: HardState): void {
    const storage = member.storage;
    const from = Math.max(member.checkedCommit + 1, storage.firstIndex());
    for (let i = from; i <= hardState.commit; i++) {
      const entry = storage.entries(i as Index, (i + 1) as Index, Infinity)[0]!;
      this.noteCommitted(member, entry, hardState.term);
    }
    if (hardState.commit > member.checkedCommit) member.checkedCommit = hardState.commit;
  }

  private noteCommitted(member: SimMember, entry: Entry, reporterTerm: number): void {
    this.checker.entryCommitted(member.id, entry, reporterTerm);
    if (entry.type !== 'normal' || entry.data.length === 0) return;
    const id = writeIdOf(entry.data);
    const write = this.writes.get(id);
    if (write !== undefined && !write.committed) {
      write.committed = true;
      this.stats.writesCommitted++;
    }
    const last = this.checker.lastCommittedWrite;
    if (last === null || entry.index > last.index) this.checker.lastCommittedWrite = { index: entry.index, id };
  }

  private apply(member: SimMember, ready: Ready): void {
    const node = member.node!;
    if (ready.snapshot !== null) {
      const meta = ready.snapshot.meta;
      member.app = decodeAppState(ready.snapshot.data, meta.index, meta.conf);
      this.checker.stateAt(member.id, meta.index, member.app.writeIds.size);
    }
    const term = node.softState().term;
    for (const entry of ready.committedEntries) {
      if (entry.index !== member.app.appliedIndex + 1) {
        throw new InvariantViolation(
          'same applied sequence',
          `${member.id} applied ${entry.index} after ${member.app.appliedIndex}`,
        );
      }
      this.noteCommitted(member, entry, term);
      member.app.appliedIndex = entry.index;
      if (entry.type === 'confChange') {
        const change = decodeConfChange(entry.data);
        member.app.conf = node.applyConfChange(change);
        if (change.type === 'removeVoter') this.removed(change.nodeId);
      } else if (entry.data.length > 0) {
        member.app.writeIds.add(writeIdOf(entry.data));
      }
      this.checker.stateAt(member.id, entry.index, member.app.writeIds.size);
    }
    for (const readState of ready.readStates) {
      const key = decoder.decode(readState.context);
      const pending = member.pendingReads.get(key);
      if (pending === undefined) continue;
      member.pendingReads.delete(key);
      member.confirmedReads.push({ required: pending.required, index: readState.index });
    }
    this.serveReads(member);
    this.maybeSnapshot(member);
  }

  /** A confirmed read is served once applied; it must see the last write committed before it. */
  private serveReads(member: SimMember): void {
    if (member.confirmedReads.length === 0) return;
    const waiting: ConfirmedRead[] = [];
    for (const read of member.confirmedReads) {
      if (read.index > member.app.appliedIndex) {
        waiting.push(read);
        continue;
      }
      if (read.required !== null && !member.app.writeIds.has(read.required.id)) {
        throw new InvariantViolation(
          'linearizable read',
          `${member.id} served a read at index ${read.index} (applied ${member.app.appliedIndex}) ` +
            `missing write ${read.required.id} committed at ${read.required.index} before the read began`,
        );
      }
      this.stats.readsServed++;
    }
    member.confirmedReads = waiting;
  }

  private maybeSnapshot(member: SimMember): void {
    const storage = member.storage;
    const applied = member.app.appliedIndex;
    if (applied - storage.snapshot().meta.index < this.profile.snapshotEveryEntries) return;
    storage.createSnapshot(applied, member.app.conf, encodeAppState(member.app));
    // Keep a few entries so slightly lagging followers catch up without a snapshot.
    const compactTo = applied - 5;
    if (compactTo >= storage.firstIndex()) storage.compact(compactTo as Index);
  }

  /** A committed removal: the member shuts down for good. */
  private removed(id: NodeId): void {
    const member = this.members.get(id);
    if (member === undefined || member.removed) return;
    member.removed = true;
  }
}
