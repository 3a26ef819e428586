// A scripted in-memory cluster for scenario tests: real RaftNodes over MemoryStorage, messages
// delivered synchronously until the cluster is quiet, with links that can be cut one way or both.
// Each node's Ready is handled in the documented order (persist, send, apply, advance).

import {
  MemoryStorage,
  RaftNode,
  Random,
  decodeConfChange,
  nodeId,
} from '../../../core/raft/index.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  Message,
  NodeId,
  RaftConfig,
  ReadState,
} from '../../../core/raft/index.js';

export interface TestMember {
  readonly id: NodeId;
  node: RaftNode;
  readonly storage: MemoryStorage;
  /** Normal entries applied, in order (the state machine). */
  readonly applied: Entry[];
  readonly readStates: ReadState[];
  conf: ConfState;
}

/** A message with every field not given set to its zero value. */
export function message(fields: Partial<Message> & Pick<Message, 'type' | 'from' | 'to' | 'term'>): Message {
  return {
    logTerm: 0 as Message['logTerm'],
    index: 0 as Message['index'],
    entries: [],
    commit: 0 as Message['commit'],
    reject: false,
    rejectHint: 0 as Message['rejectHint'],
    ...fields,
  };
}

export type NodeOptions = Partial<Omit<RaftConfig, 'id' | 'storage' | 'random'>>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const text = (data: Uint8Array): string => decoder.decode(data);

/** Bound on delivery rounds in stabilize(), so a livelock fails the test instead of hanging. */
const stabilizeRoundsMax = 10_000;

export class TestCluster {
  readonly members = new Map<NodeId, TestMember>();
  private readonly blocked = new Set<string>();
  private readonly random: Random;
  /** Every message delivered (or dropped by a cut link), for assertions on traffic. */
  readonly traffic: Message[] = [];
  /** The messages of `traffic` that a cut link or a filter dropped. */
  readonly dropped = new Set<Message>();
  private queue: Message[] = [];

  constructor(
    ids: readonly string[],
    private readonly options: NodeOptions = {},
    seed = 1,
    learners: readonly string[] = [],
  ) {
    this.random = new Random(seed);
    const conf: ConfState = { voters: ids.map(nodeId), learners: learners.map(nodeId) };
    for (const id of [...ids, ...learners]) this.addMember(id, MemoryStorage.bootstrap(conf));
  }

  /** Adds a member process (a new, empty one unless `storage` is given). */
  addMember(id: string, storage = new MemoryStorage()): TestMember {
    const member: TestMember = {
      id: nodeId(id),
      node: this.newNode(nodeId(id), storage),
      storage,
      applied: [],
      readStates: [],
      conf: storage.initialState().confState,
    };
    this.members.set(member.id, member);
    return member;
  }

  private newNode(id: NodeId, storage: MemoryStorage): RaftNode {
    return new RaftNode({
      electionTicks: 10,
      heartbeatTicks: 1,
      ...this.options,
      id,
      storage,
      random: this.random.fork(),
      applied: storage.snapshot().meta.index,
    });
  }

  /** Restarts a member from what it persisted (its unpersisted state is lost). */
  restart(id: string): void {
    const member = this.get(id);
    member.node = this.newNode(member.id, member.storage);
    member.conf = member.storage.initialState().confState;
  }

  get(id: string): TestMember {
    const member = this.members.get(nodeId(id));
    if (member === undefined) throw new Error(`no member ${id}`);
    return member;
  }

  node(id: string): RaftNode {
    return this.get(id).node;
  }

  /** Blocks messages from `from` to `to` (one way). */
  cut(from: string, to: string): void {
    this.blocked.add(`${from}>${to}`);
  }

  /** Blocks every message to and from `id`. */
  isolate(id: string): void {
    for (const other of this.members.keys()) {
      if (other === id) continue;
      this.cut(id, other);
      this.cut(other, id);
    }
  }

  /** Splits the cluster into groups that cannot talk to each other. */
  partition(...groups: readonly (readonly string[])[]): void {
    for (const group of groups) {
      for (const other of groups) {
        if (other === group) continue;
        for (const a of group) for (const b of other) this.cut(a, b);
      }
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  /** Ticks the given members (all when none given) `count` times, stabilizing after each. */
  tick(count = 1, ...ids: string[]): void {
    const targets = ids.length > 0 ? ids.map((id) => this.get(id)) : [...this.members.values()];
    for (let i = 0; i < count; i++) {
      for (const member of targets) member.node.tick();
      this.stabilize();
    }
  }

  campaign(id: string): void {
    this.node(id).campaign();
    this.stabilize();
  }

  propose(id: string, data: string): void {
    this.node(id).propose(bytes(data));
    this.stabilize();
  }

  /** Handles every Ready and delivers every message until nothing is left to do. */
  stabilize(filter: (m: Message) => boolean = () => true): void {
    for (let round = 0; round < stabilizeRoundsMax; round++) {
      let busy = false;
      for (const member of this.members.values()) {
        if (member.node.hasReady()) {
          busy = true;
          this.handleReady(member);
        }
      }
      const queue = this.queue;
      this.queue = [];
      for (const m of queue) {
        busy = true;
        this.traffic.push(m);
        if (this.blocked.has(`${m.from}>${m.to}`) || !filter(m)) {
          this.dropped.add(m);
          continue;
        }
        const target = this.members.get(m.to);
        if (target !== undefined) target.node.step(m);
      }
      if (!busy) return;
    }
    throw new Error('the cluster did not become quiet');
  }

  /** Runs one Ready: persist, send (queue), apply, advance. */
  handleReady(member: TestMember): void {
    const ready = member.node.ready();
    if (ready.snapshot !== null) member.storage.applySnapshot(ready.snapshot);
    member.storage.append(ready.entries);
    if (ready.hardState !== null) member.storage.setHardState(ready.hardState);
    for (const m of ready.messages) this.queue.push(m);
    if (ready.snapshot !== null) member.conf = ready.snapshot.meta.conf;
    for (const entry of ready.committedEntries) {
      if (entry.type === 'confChange') member.conf = member.node.applyConfChange(decodeConfChange(entry.data));
      else if (entry.data.length > 0) member.applied.push(entry);
    }
    for (const readState of ready.readStates) member.readStates.push(readState);
    member.node.advance(ready);
  }

  /** Proposes a membership change at `id` and lets it commit and apply. */
  changeConf(id: string, change: ConfChange): void {
    this.node(id).proposeConfChange(change);
    this.stabilize();
  }

  /** Drains the message queue without delivering (messages are lost). */
  dropPending(): Message[] {
    for (const member of this.members.values()) if (member.node.hasReady()) this.handleReady(member);
    const dropped = this.queue;
    this.queue = [];
    return dropped;
  }

  /** Ticks everyone until one of `among` (default: anyone) leads; fails after `ticksMax`. */
  tickUntilLeader(among: readonly string[] = [...this.members.keys()], ticksMax = 500): NodeId {
    for (let i = 0; i < ticksMax; i++) {
      for (const id of among) {
        if (this.node(id).softState().role === 'leader') return nodeId(id);
      }
      this.tick(1);
    }
    throw new Error(`no leader among ${among.join(', ')} after ${ticksMax} ticks`);
  }

  leader(): NodeId | null {
    for (const member of this.members.values()) {
      if (member.node.softState().role === 'leader') return member.id;
    }
    return null;
  }

  appliedText(id: string): string[] {
    return this.get(id).applied.map((entry) => text(entry.data));
  }

  /** The terms of the durable log of `id` from its first index. */
  logTerms(id: string): number[] {
    const storage = this.get(id).storage;
    const terms: number[] = [];
    for (let i = storage.firstIndex(); i <= storage.lastIndex(); i++) terms.push(storage.term(i));
    return terms;
  }
}
