// A seeded, concurrent KV workload against a real cluster through the real etcd v3 gRPC client:
// N clients run puts, linearizable and serializable gets, value compare-and-set transactions and
// deletes on a small key set, recording call and return times and outcomes (a failed write's
// outcome is unknown), while watchers record every event of the key space. With `bigValues`, one
// client pads some of its puts to sizes up to the request limit: the stored value is the recorded
// one plus "|" and padding, and reads and events are recorded without the padding. It owns driving and
// recording; judging the records is test/linearizability's checkers' job.
import { performance } from 'node:perf_hooks';
import { Compare, Op } from '../../core/client/txn.js';
import { EtcdClient } from '../../core/client/etcdClient.js';
import type { Watcher } from '../../core/client/watcher.js';
import { assert } from '../../core/raft/assert.js';
import { Random } from '../../core/raft/random.js';
import type { KvInput, KvOperation, KvOutput, KvValue } from '../linearizability/history.js';
import type { ObservedEvent, SerializableRead, WatchRecord } from '../linearizability/watchChecker.js';

/** Deadline of one workload operation; a write that misses it has an unknown outcome. */
export const operationTimeoutMsDefault = 3_000;
/** Attempts of each final read before the workload gives up on the cluster serving again. */
export const finalReadAttemptsMax = 200;
/** Polls (50 ms apart) for the watchers to reach the final revision. */
export const watchCatchUpPollsMax = 600;
/** Operations one workload records before its clients stop on their own. */
export const operationsMax = 2_000_000;
const pollPauseMs = 50;
/**
 * Padding sizes of big puts: across LMDB's page and overflow boundaries up to what fits the 1.5
 * MiB request limit with a compare of the same value (a CAS on a padded value sends it).
 */
export const paddingBytes = [0, 100, 4_096, 65_536, 1_048_576, 1_500_000] as const;
/** The client that pads, and how often (one put in this many). */
const paddingClientId = 1;
const paddedPutEvery = 4;

/** The value stored for a recorded value: `token~size` is stored padded with `size` dots. */
export function storedValue(recorded: string): string {
  const tilde = recorded.indexOf('~');
  return tilde < 0 ? recorded : `${recorded}|${'.'.repeat(Number(recorded.slice(tilde + 1)))}`;
}

/** The recorded value of a stored one (the padding cut off). */
export function recordedValue(stored: string): string {
  const bar = stored.indexOf('|');
  return bar < 0 ? stored : stored.slice(0, bar);
}

/** A member the workload can address by name: its client endpoint as host:port. */
export interface WorkloadMember {
  readonly name: string;
  readonly endpoint: string;
}

export interface WorkloadOptions {
  readonly members: readonly WorkloadMember[];
  readonly seed: number;
  readonly clients: number;
  readonly keys: number;
  /** Prefix of every key the workload touches; nothing else may write under it. */
  readonly keyPrefix?: string;
  readonly watchers?: number;
  readonly operationTimeoutMs?: number;
  /** One client pads some puts to sizes up to the request limit (paddingBytes). */
  readonly bigValues?: boolean;
}

/** Everything a workload observed, ready for the checkers. */
export interface WorkloadRecord {
  /** Linearizable operations (serializable reads excluded), including the final reads. */
  readonly history: KvOperation[];
  readonly serializableReads: SerializableRead[];
  readonly watches: WatchRecord[];
  /** First revision the workload could write (watchers start here). */
  readonly startRevision: number;
  /** Store revision seen by the final reads after the workload stopped. */
  readonly finalRevision: number;
  /** performance.now() when the last final read returned: the cluster served every key again. */
  readonly finalReadsDoneMs: number;
}

type Choice = 'put' | 'get' | 'serializable' | 'cas' | 'delete';
const choices: readonly Choice[] = ['put', 'put', 'put', 'get', 'get', 'serializable', 'serializable', 'cas', 'cas', 'cas', 'delete'];

interface WatchState {
  readonly watcherId: number;
  readonly client: EtcdClient;
  readonly events: ObservedEvent[];
  watcher: Watcher | undefined;
  endedBy: string | null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function rotated<T>(items: readonly T[], by: number): T[] {
  return items.map((_, i) => items[(i + by) % items.length]!);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A running workload. `start` reads the start revision and opens the watchers before any write;
 * `stop` ends the clients after their operation in flight; `finish` reads every key (retrying
 * until the cluster serves), waits for the watchers to catch up and returns the record.
 */
export class Workload {
  private readonly history: KvOperation[] = [];
  private readonly serializableReads: SerializableRead[] = [];
  private readonly lastValues = new Map<string, string>();
  private readonly loops: Promise<void>[] = [];
  private readonly watches: WatchState[] = [];
  private nextOperationId = 0;
  private stopping = false;
  /** How many times each member was replaced by a new one with an empty store (absent: never). */
  private readonly incarnations = new Map<string, number>();
  /** Members being replaced: the old process may still answer, or already the new one. */
  private readonly beingReplaced = new Set<string>();
  private transitionReads = 0;
  /** Linearizable operations with a known outcome, writes of unknown outcome, and failed reads. */
  readonly counts = { known: 0, unknown: 0, failedReads: 0 };

  private constructor(
    private readonly options: WorkloadOptions,
    readonly startRevision: number,
  ) {}

  static async start(options: WorkloadOptions): Promise<Workload> {
    assert(options.members.length > 0, 'a workload needs at least one member');
    assert(options.keys > 0, 'a workload needs at least one key');
    const endpoints = options.members.map((m) => m.endpoint);
    const probe = new EtcdClient({ endpoints });
    let startRevision: number;
    try {
      startRevision = (await probe.kv.get(options.keyPrefix ?? '/lin/', { prefix: true, countOnly: true })).header.revision + 1;
    } finally {
      probe.close();
    }
    const workload = new Workload(options, startRevision);
    await workload.openWatchers();
    const random = new Random(options.seed);
    for (let clientId = 1; clientId <= options.clients; clientId++) workload.loops.push(workload.runClient(clientId, random.fork()));
    return workload;
  }

  private get prefix(): string {
    return this.options.keyPrefix ?? '/lin/';
  }

  private get timeoutMs(): number {
    return this.options.operationTimeoutMs ?? operationTimeoutMsDefault;
  }

  /**
   * The highest revision every watcher has passed (seen an event at or beyond): compacting to it
   * cancels no watch. startRevision − 1 before every watcher has seen an event.
   */
  watchedRevision(): number {
    let revision = Infinity;
    for (const watch of this.watches) revision = Math.min(revision, watch.events.at(-1)?.revision ?? this.startRevision - 1);
    return Number.isFinite(revision) ? revision : this.startRevision - 1;
  }

  /** Operations recorded so far (linearizable and serializable). */
  get operations(): number {
    return this.history.length + this.serializableReads.length;
  }

  private async openWatchers(): Promise<void> {
    const endpoints = this.options.members.map((m) => m.endpoint);
    for (let watcherId = 1; watcherId <= (this.options.watchers ?? 2); watcherId++) {
      const state: WatchState = { watcherId, client: new EtcdClient({ endpoints: rotated(endpoints, watcherId) }), events: [], watcher: undefined, endedBy: null };
      this.watches.push(state);
      state.watcher = await state.client.watch.watch(this.prefix, {
        prefix: true,
        startRevision: this.startRevision,
        onBatch: (batch) => {
          for (const event of batch.events) {
            state.events.push({ revision: event.kv.modRevision, key: event.kv.keyString, type: event.type, value: event.type === 'put' ? recordedValue(event.kv.valueString) : '' });
          }
        },
        onEnd: (error) => {
          if (error !== undefined) state.endedBy = error.message;
        },
      });
    }
  }

  private async runClient(clientId: number, random: Random): Promise<void> {
    const endpoints = this.options.members.map((m) => m.endpoint);
    let rotation = random.nextInt(endpoints.length);
    let client = new EtcdClient({ endpoints: rotated(endpoints, rotation) });
    let sequence = 0;
    try {
      while (!this.stopping && this.operations < operationsMax) {
        const key = `${this.prefix}k${random.nextInt(this.options.keys)}`;
        const choice = random.pick(choices);
        const padded = this.options.bigValues === true && clientId === paddingClientId && choice === 'put' && random.nextInt(paddedPutEvery) === 0;
        const value = `c${clientId}-${++sequence}${padded ? `~${random.pick(paddingBytes)}` : ''}`;
        const ok = choice === 'serializable'
          ? await this.serializableGet(client, clientId, key, random.pick(this.options.members))
          : await this.linearizable(client, clientId, this.inputFor(choice, key, value, random));
        if (!ok) {
          // A real client moves on to another member after a failure; so do we.
          client.close();
          rotation++;
          client = new EtcdClient({ endpoints: rotated(endpoints, rotation) });
        }
      }
    } finally {
      client.close();
    }
  }

  private inputFor(choice: Exclude<Choice, 'serializable'>, key: string, value: string, random: Random): KvInput {
    switch (choice) {
      case 'put':
        return { kind: 'put', key, value };
      case 'get':
        return { kind: 'get', key };
      case 'cas':
        // Expect the last value seen on the key (often current, so many succeed), else a miss.
        return { kind: 'cas', key, expected: random.chance(0.9) ? (this.lastValues.get(key) ?? 'none') : 'none', value };
      case 'delete':
        return { kind: 'delete', key };
    }
  }

  /** Runs one operation and records it; false when it failed (its outcome unknown). */
  private async linearizable(client: EtcdClient, clientId: number, input: KvInput): Promise<boolean> {
    const callMs = performance.now();
    let output: KvOutput;
    try {
      output = await this.call(client, input);
    } catch {
      if (input.kind === 'get') this.counts.failedReads++;
      else {
        this.counts.unknown++;
        this.history.push({ id: this.nextOperationId++, clientId, input, output: { kind: 'unknown' }, callMs, returnMs: Infinity });
      }
      return false;
    }
    const returnMs = performance.now();
    this.counts.known++;
    this.history.push({ id: this.nextOperationId++, clientId, input, output, callMs, returnMs });
    if (output.kind === 'get' && output.found !== null) this.lastValues.set(input.key, output.found.value);
    if (input.kind === 'put' || (input.kind === 'cas' && output.kind === 'cas' && output.succeeded)) this.lastValues.set(input.key, input.value);
    return true;
  }

  private async call(client: EtcdClient, input: KvInput): Promise<KvOutput> {
    const timeoutMs = this.timeoutMs;
    switch (input.kind) {
      case 'put': {
        const result = await client.kv.put(input.key, storedValue(input.value), { timeoutMs });
        return { kind: 'put', revision: result.header.revision };
      }
      case 'get': {
        const result = await client.kv.get(input.key, { timeoutMs });
        return { kind: 'get', found: toValue(result.kvs[0]), revision: result.header.revision };
      }
      case 'cas': {
        const result = await client.kv.txn({ timeoutMs }).if(Compare.value(input.key, '=', storedValue(input.expected))).then(Op.put(input.key, storedValue(input.value))).commit();
        return { kind: 'cas', succeeded: result.succeeded, revision: result.header.revision };
      }
      case 'delete': {
        const result = await client.kv.delete(input.key, { timeoutMs });
        return { kind: 'delete', deleted: result.deleted, revision: result.header.revision };
      }
    }
  }

  private async serializableGet(client: EtcdClient, clientId: number, key: string, member: WorkloadMember): Promise<boolean> {
    const callMs = performance.now();
    const memberName = this.incarnationName(member.name);
    try {
      const result = await client.kv.get(key, { serializable: true, endpoint: member.endpoint, timeoutMs: this.timeoutMs });
      const returnMs = performance.now();
      this.serializableReads.push({ clientId, member: memberName, key, callMs, returnMs, found: toValue(result.kvs[0]), revision: result.header.revision });
      return true;
    } catch {
      this.counts.failedReads++;
      return true; // the pinned member is down; the client's own endpoint is not to blame
    }
  }

  /**
   * Marks that `name`'s member is being replaced (removed, or its disk wiped) by a new one with an
   * empty store. Until `replaced`, a serializable read there may be answered by the old process
   * (a removed member serves until it learns of its removal) or by the new one, so each is judged
   * alone. Call it before the old member stops serving.
   */
  replacing(name: string): void {
    this.beingReplaced.add(name);
  }

  /** The new member serves from now on: its serializable reads are judged together, as `m2#1`. */
  replaced(name: string): void {
    this.beingReplaced.delete(name);
    this.incarnations.set(name, (this.incarnations.get(name) ?? 0) + 1);
  }

  /** The name serializable reads are recorded under: `m2`, `m2~3` during a replacement, `m2#1` after. */
  private incarnationName(name: string): string {
    if (this.beingReplaced.has(name)) return `${name}~${++this.transitionReads}`;
    const incarnation = this.incarnations.get(name);
    return incarnation === undefined ? name : `${name}#${incarnation}`;
  }

  /** Stops the clients after their operation in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  /**
   * After stop(): reads every key linearizably (retrying until the cluster serves, bounded),
   * waits until every watcher has reached the final revision (bounded), and returns the record.
   */
  async finish(): Promise<WorkloadRecord> {
    assert(this.stopping, 'finish() comes after stop()');
    const endpoints = this.options.members.map((m) => m.endpoint);
    const client = new EtcdClient({ endpoints });
    let finalRevision = this.startRevision - 1;
    try {
      for (let k = 0; k < this.options.keys; k++) {
        const input: KvInput = { kind: 'get', key: `${this.prefix}k${k}` };
        for (let attempt = 0; ; attempt++) {
          const callMs = performance.now();
          try {
            const output = await this.call(client, input);
            this.history.push({ id: this.nextOperationId++, clientId: 0, input, output, callMs, returnMs: performance.now() });
            if (output.kind === 'get') finalRevision = Math.max(finalRevision, output.revision);
            break;
          } catch (error) {
            if (attempt + 1 >= finalReadAttemptsMax) throw new Error(`the cluster did not serve a final read of ${input.key}: ${describeError(error)}`);
            await sleep(pollPauseMs);
          }
        }
      }
    } finally {
      client.close();
    }
    const finalReadsDoneMs = performance.now();
    for (let poll = 0; poll < watchCatchUpPollsMax; poll++) {
      const behind = this.watches.filter((w) => w.endedBy === null && (w.events.at(-1)?.revision ?? this.startRevision - 1) < finalRevision);
      if (behind.length === 0) break;
      await sleep(pollPauseMs);
    }
    for (const watch of this.watches) {
      watch.watcher?.cancel();
      watch.client.close();
    }
    return {
      history: [...this.history],
      serializableReads: [...this.serializableReads],
      watches: this.watches.map((w) => ({ watcherId: w.watcherId, startRevision: this.startRevision, events: [...w.events], endedBy: w.endedBy })),
      startRevision: this.startRevision,
      finalRevision,
      finalReadsDoneMs,
    };
  }

  /** Closes every client without waiting (for test cleanup after a failure). */
  abort(): void {
    this.stopping = true;
    for (const watch of this.watches) watch.client.close();
  }
}

function toValue(kv: { valueString: string; modRevision: number } | undefined): KvValue | null {
  return kv === undefined ? null : { value: recordedValue(kv.valueString), modRevision: kv.modRevision };
}
