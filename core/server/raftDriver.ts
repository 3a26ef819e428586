// Drives a RaftNode: ticks on a timer, steps peer messages, and handles each Ready in the order
// core/raft documents — the leader sends its appends before its own fsync (allowed: nothing is
// applied before this member's fsync completes, and commit needs a majority of durable acks),
// everyone else sends only after the WAL fsync; committed entries already on disk are applied
// while that fsync runs, the others after it, and then ReadIndex answers are released. Readies
// are handled one at a time, so proposals arriving during an fsync are batched into the next one
// (group commit).
import { RaftNode } from '../raft/raftNode.js';
import type { Ready } from '../raft/raftNode.js';
import type { Message } from '../raft/message.js';
import type { MemoryStorage } from '../raft/memoryStorage.js';
import type { RaftStatus } from '../raft/status.js';
import type { ReadState, SoftState } from '../raft/raft.js';
import { Random } from '../raft/random.js';
import type { Entry, Index, NodeId, Snapshot } from '../raft/types.js';
import { ServerError } from './errors.js';

export interface DriverHooks {
  /** Persists a snapshot received from the leader (its store is already installed). */
  persistSnapshot(snapshot: Snapshot): Promise<void>;
  /**
   * Persists entries and hard state durably (WAL fsync). The write must be issued before this
   * returns its promise: the driver applies entries already durable while the fsync runs.
   */
  persist(ready: Ready): Promise<void>;
  send(messages: readonly Message[]): void;
  /** Applies a snapshot's state (membership) and then committed entries. */
  applySnapshot(snapshot: Snapshot): void;
  applyEntries(entries: readonly Entry[]): void;
  /**
   * Whether callers on this member wait for writes to apply (they are answered when theirs
   * does). A leader with none, all of whose writes came through followers, sends the commit index
   * at once: those followers answer their callers only once they apply.
   */
  callersWaiting?(): boolean;
  softStateChanged(soft: SoftState, term: number): void;
  /** Called after each Ready: a chance to take a snapshot. */
  afterReady(appliedIndex: Index): Promise<void>;
  /**
   * Called once when persisting or applying failed (a full disk, an I/O error): the driver has
   * stopped and nothing after the failure was acknowledged; the member must stop too.
   */
  fatal(error: Error): void;
}

export interface DriverOptions {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  readonly applied: Index;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly seed: number;
  readonly hooks: DriverHooks;
}

interface PendingRead {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** How long a ReadIndex round may take before its readers get "request timed out". */
const readTimeoutMs = 5_000;
/** Readers of a finished ReadIndex round released per event-loop turn (see RaftDriver.release). */
const readersPerTurn = 16;
/** Reads waiting for the next ReadIndex round; more fail fast with "too many requests". */
const pendingReadsMax = 100_000;

/**
 * Whether a leader's message only tells a follower the new commit index: an append with no
 * entries, sent in the Ready that commits. Nothing waits on it but the follower's own apply, so
 * the leader sends it after the answers to the writes it commits (see RaftDriver.sendAfterAnswers).
 */
function commitOnly(message: Message): boolean {
  return message.type === 'app' && message.entries.length === 0;
}

export class RaftDriver {
  readonly node: RaftNode;
  private readonly hooks: DriverHooks;
  private processing = false;
  private scheduled = false;
  private stopped = false;
  private tickTimer: NodeJS.Timeout | null = null;
  private appliedIndex: Index;
  private readonly appliedWaiters: { index: number; resolve: () => void }[] = [];
  private readonly leaderWaiters = new Set<() => void>();
  private queuedReads: PendingRead[] = [];
  private readRound: { context: string; readers: PendingRead[]; timer: NodeJS.Timeout } | null = null;
  private readCounter = 0;
  private failure: Error | null = null;
  /** Commit-only appends waiting for the answers of the writes they commit to go out first. */
  private held: Message[] = [];
  private heldScheduled = false;

  constructor(private readonly options: DriverOptions) {
    this.hooks = options.hooks;
    this.appliedIndex = options.applied;
    this.node = new RaftNode({
      id: options.id,
      electionTicks: options.electionTicks,
      heartbeatTicks: options.heartbeatTicks,
      storage: options.storage,
      random: new Random(options.seed),
      applied: options.applied,
      preVote: true,
      checkQuorum: true,
    });
  }

  start(): void {
    this.tickTimer = setInterval(() => {
      this.node.tick();
      this.schedule();
    }, this.options.tickMs);
    this.schedule();
  }

  get applied(): Index {
    return this.appliedIndex;
  }

  status(): RaftStatus {
    return this.node.status();
  }

  leader(): NodeId | null {
    return this.node.softState().leader;
  }

  isLeader(): boolean {
    return this.node.softState().role === 'leader';
  }

  term(): number {
    return this.node.softState().term;
  }

  /** The error that stopped the driver (a failed fsync), if any. */
  get fatal(): Error | null {
    return this.failure;
  }

  step(message: Message): void {
    if (this.stopped) return;
    this.node.step(message);
    this.schedule();
  }

  /** Runs `action` against the node (propose, readIndex...) and schedules the resulting Ready. */
  withNode<T>(action: (node: RaftNode) => T): T {
    if (this.stopped) throw new ServerError('STOPPED');
    try {
      return action(this.node);
    } finally {
      this.schedule();
    }
  }

  /** Resolves once a leader is known (immediately if one is), or after `timeoutMs` with false. */
  waitForLeader(timeoutMs: number): Promise<boolean> {
    if (this.leader() !== null) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.leaderWaiters.delete(done);
        resolve(this.leader() !== null);
      };
      const timer = setTimeout(done, timeoutMs);
      this.leaderWaiters.add(done);
    });
  }

  /** Resolves once `index` is applied. */
  waitApplied(index: number): Promise<void> {
    if (this.appliedIndex >= index) return Promise.resolve();
    return new Promise((resolve) => this.appliedWaiters.push({ index, resolve }));
  }

  /** A linearizable read point: resolves once this member has applied everything committed before the call. */
  readBarrier(): Promise<void> {
    if (this.stopped) return Promise.reject(new ServerError('STOPPED'));
    if (this.queuedReads.length >= pendingReadsMax) return Promise.reject(new ServerError('TOO_MANY_REQUESTS'));
    return new Promise((resolve, reject) => {
      this.queuedReads.push({ resolve, reject });
      if (this.readRound === null) this.startReadRound();
    });
  }

  private startReadRound(): void {
    if (this.queuedReads.length === 0 || this.stopped) return;
    const readers = this.queuedReads;
    this.queuedReads = [];
    const context = `r${++this.readCounter}`;
    const timer = setTimeout(() => this.finishReadRound(context, new ServerError('TIMEOUT')), readTimeoutMs);
    this.readRound = { context, readers, timer };
    try {
      this.withNode((node) => node.readIndex(Buffer.from(context)));
    } catch {
      this.finishReadRound(context, new ServerError(this.leader() === null ? 'NO_LEADER' : 'TIMEOUT'));
    }
  }

  private finishReadRound(context: string, error: Error | null): void {
    const round = this.readRound;
    if (round === null || round.context !== context) return;
    clearTimeout(round.timer);
    this.readRound = null;
    this.release(round.readers, error);
    this.startReadRound();
  }

  /**
   * Settles the readers of a round, `readersPerTurn` per event-loop turn: each one goes on to serve
   * its read at once, and a round of many large ranges served in one turn would hold the loop past
   * an election timeout (heartbeats unanswered, the leader deposed). Later slices keep their
   * guarantee: they were read-indexed before it, and the store only moves forward.
   */
  private release(readers: readonly PendingRead[], error: Error | null, from = 0): void {
    const to = Math.min(readers.length, from + readersPerTurn);
    for (let i = from; i < to; i++) {
      if (error) readers[i]!.reject(error);
      else readers[i]!.resolve();
    }
    if (to < readers.length) setImmediate(() => this.release(readers, error, to));
  }

  private handleReadStates(states: readonly ReadState[]): void {
    for (const state of states) {
      const context = Buffer.from(state.context).toString();
      const round = this.readRound;
      if (round === null || round.context !== context) continue;
      void this.waitApplied(state.index).then(() => this.finishReadRound(context, null));
    }
  }

  schedule(): void {
    if (this.scheduled || this.processing || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.processing || this.stopped) return;
    this.processing = true;
    try {
      while (!this.stopped && this.node.hasReady()) {
        const ready = this.node.ready();
        await this.handle(ready);
        this.node.advance(ready);
      }
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.stop();
      this.hooks.fatal(this.failure);
      return;
    } finally {
      this.processing = false;
    }
    if (!this.stopped && this.node.hasReady()) this.schedule();
  }

  private async handle(ready: Ready): Promise<void> {
    const soft = this.node.softState();
    if (ready.softState !== null) {
      this.hooks.softStateChanged(ready.softState, soft.term);
      if (ready.softState.leader !== null) for (const wake of [...this.leaderWaiters]) wake();
      if (ready.softState.leader === null && this.readRound) this.finishReadRound(this.readRound.context, new ServerError('LEADER_CHANGED'));
    }
    const isLeader = soft.role === 'leader';
    if (isLeader) {
      if (ready.committedEntries.length > 0 && this.hooks.callersWaiting?.() === true && ready.messages.some(commitOnly)) {
        this.send(ready.messages.filter((message) => !commitOnly(message)));
        this.sendAfterAnswers(ready.messages.filter(commitOnly));
      } else {
        this.send(ready.messages);
      }
    }
    // Committed entries already on this member's disk (and not replaced by this Ready's entries)
    // are applied before this Ready's fsync, so a write waits for one fsync here, not two.
    const committed = ready.committedEntries;
    let early = 0;
    if (ready.snapshot === null) {
      const durableLast = Math.min(this.options.storage.lastIndex(), (ready.entries[0]?.index ?? Number.MAX_SAFE_INTEGER) - 1);
      while (early < committed.length && committed[early]!.index <= durableLast) early++;
    }
    if (ready.snapshot !== null) await this.hooks.persistSnapshot(ready.snapshot);
    // The WAL write is issued first and its fdatasync runs in the thread pool while the already
    // durable entries are applied here (the store's commit holds the event loop), so the two
    // overlap instead of following each other.
    const persisting = this.hooks.persist(ready);
    if (early > 0) {
      try {
        this.applyCommitted(committed.slice(0, early));
      } catch (error) {
        await persisting.catch(() => undefined);
        throw error;
      }
    }
    await persisting;
    if (!isLeader) this.send(ready.messages);
    if (ready.snapshot !== null) {
      this.hooks.applySnapshot(ready.snapshot);
      this.setApplied(ready.snapshot.meta.index);
    }
    if (early < committed.length) this.applyCommitted(early === 0 ? committed : committed.slice(early));
    if (ready.readStates.length > 0) this.handleReadStates(ready.readStates);
    await this.hooks.afterReady(this.appliedIndex);
  }

  /** Sends `messages` now, after any held ones, so each peer gets its messages in order. */
  private send(messages: readonly Message[]): void {
    if (this.held.length > 0) this.releaseHeld();
    if (messages.length > 0) this.hooks.send(messages);
  }

  /**
   * Holds commit-only appends until the answers to the writes this Ready commits have left. Each
   * socket write to a peer wakes that member, which on a machine with few cores takes the CPU
   * from this one for a while (about 0.1 ms a peer measured on 2 cores); sent first, as they come
   * in the Ready, they delayed every answer by that much. Node writes an answer's headers and
   * message in the event-loop turn after the one that applied the write and submits its trailers
   * (which end the call) in that turn's immediates, so the appends go out two turns after the
   * apply. Any message sent meanwhile releases them first: Raft needs no ordering, but each peer
   * gets its messages in order all the same.
   */
  private sendAfterAnswers(messages: readonly Message[]): void {
    this.held.push(...messages);
    if (this.heldScheduled) return;
    this.heldScheduled = true;
    setImmediate(() =>
      setImmediate(() => {
        this.heldScheduled = false;
        if (this.held.length > 0) this.releaseHeld();
      }),
    );
  }

  private releaseHeld(): void {
    const held = this.held;
    this.held = [];
    if (!this.stopped) this.hooks.send(held);
  }

  private applyCommitted(entries: readonly Entry[]): void {
    this.hooks.applyEntries(entries);
    this.setApplied(entries[entries.length - 1]!.index);
  }

  private setApplied(index: Index): void {
    if (index <= this.appliedIndex) return;
    this.appliedIndex = index;
    if (this.appliedWaiters.length === 0) return;
    const still: typeof this.appliedWaiters = [];
    for (const waiter of this.appliedWaiters) {
      if (waiter.index <= index) waiter.resolve();
      else still.push(waiter);
    }
    this.appliedWaiters.length = 0;
    this.appliedWaiters.push(...still);
  }

  /** Waits for the Ready being handled to finish. */
  async idle(): Promise<void> {
    while (this.processing) await new Promise((resolve) => setImmediate(resolve));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    const stopped = new ServerError('STOPPED');
    if (this.readRound) {
      clearTimeout(this.readRound.timer);
      for (const reader of this.readRound.readers) reader.reject(stopped);
      this.readRound = null;
    }
    for (const reader of this.queuedReads) reader.reject(stopped);
    this.queuedReads = [];
    for (const wake of [...this.leaderWaiters]) wake();
  }
}
