// The Watch service: one bidirectional gRPC stream per client carrying every watch, created one at
// a time (the server answers creates in order), progress requests, cancellation, and reconnection
// that re-creates each watch from the first revision it has not delivered. What a watch delivers
// to its caller is in watcher.ts.
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { WatchRequest, WatchResponse } from '../api/proto/messages.js';
import { assert } from '../raft/assert.js';
import type { Bytes } from './bytes.js';
import type { Connection } from './connection.js';
import { WatchError } from './etcdError.js';
import { toHeader } from './header.js';
import { Watcher } from './watcher.js';
import type { WatchOptions } from './watcher.js';

/** Reconnect attempts in a row (without a successful create) before every watcher fails. */
export const watchReconnectAttemptsMax = 60;
/** Delay before the first reconnect attempt; it doubles up to watchReconnectDelayMsMax. */
export const watchReconnectDelayMsMin = 50;
export const watchReconnectDelayMsMax = 1_000;
/** Watches one client may hold at once. */
export const watchersMax = 10_000;

/**
 * Cancel reasons of a watch create that a fresh token may cure: etcd checks permissions with the
 * token the stream was opened with (expired simple tokens read as "permission denied").
 */
const staleTokenReasons = [
  'etcdserver: permission denied',
  'etcdserver: revision of auth store is old',
  'etcdserver: invalid auth token',
  'etcdserver: user name is empty',
];

/** etcd's watch id of a progress response meant for every watcher of the stream. */
const broadcastWatchId = '-1';

/** Creates and multiplexes watches; see Watcher for what a caller receives. */
export class WatchClient {
  private call: ClientDuplexStream<object, object> | undefined;
  private endpoint = '';
  private opening: Promise<void> | undefined;
  /** Incremented per stream so events of a dead stream are ignored. */
  private generation = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly active = new Map<string, Watcher>();
  private readonly createQueue: Watcher[] = [];
  private creating: Watcher | undefined;
  private reconnectAttempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly connection: Connection) {}

  /**
   * Watches `key` (or a range, see WatchOptions) and resolves once the server has created the
   * watch. Rejects with WatchError `compacted` when startRevision is compacted, or `canceled`
   * when the server refuses it (for example "etcdserver: permission denied").
   */
  async watch(key: Bytes, options: WatchOptions = {}): Promise<Watcher> {
    assert(!this.closed, 'no watches on a closed client');
    assert(this.watchers.size < watchersMax, `a client holds at most ${watchersMax} watches`);
    const watcher = new Watcher(key, options, (canceled) => this.onCancel(canceled));
    this.watchers.add(watcher);
    this.createQueue.push(watcher);
    try {
      await this.ensureStream();
    } catch (error) {
      this.watchers.delete(watcher);
      throw error;
    }
    this.pump();
    await watcher.created();
    return watcher;
  }

  /**
   * Asks the server for a progress notification: every watcher of the stream then receives a
   * batch without events whose header revision all its events up to have been delivered.
   */
  async requestProgress(): Promise<void> {
    if (this.watchers.size === 0) return;
    await this.ensureStream();
    this.write({ progress_request: {} });
  }

  /** Number of live watches. */
  get size(): number {
    return this.watchers.size;
  }

  /** Cancels every watch and closes the stream. */
  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    for (const watcher of [...this.watchers]) watcher.cancel();
    this.dropStream();
  }

  private async ensureStream(): Promise<void> {
    if (this.call) return;
    this.opening ??= this.openStream().finally(() => {
      this.opening = undefined;
    });
    await this.opening;
  }

  private async openStream(): Promise<void> {
    const generation = ++this.generation;
    const { call, endpoint } = await this.connection.duplex('etcdserverpb.Watch', 'Watch', { hasleader: 'true' });
    this.call = call;
    this.endpoint = endpoint;
    call.on('data', (response: WatchResponse) => {
      if (generation === this.generation) this.onResponse(response);
    });
    call.on('error', (error: ServiceError) => {
      if (generation === this.generation) this.onStreamLost(error);
    });
    call.on('end', () => {
      if (generation === this.generation) this.onStreamLost(undefined);
    });
  }

  private write(request: WatchRequest): void {
    assert(this.call !== undefined, 'a watch request is written to an open stream');
    this.call.write(request);
  }

  /** Sends the next create request when none is in flight. */
  private pump(): void {
    if (this.creating || !this.call) return;
    let next = this.createQueue.shift();
    while (next?.canceled) next = this.createQueue.shift();
    if (!next) return;
    this.creating = next;
    this.write({ create_request: next.createRequest() });
  }

  private onResponse(response: WatchResponse): void {
    const header = toHeader(response.header);
    if (response.created) {
      const watcher = this.creating;
      assert(watcher !== undefined, 'a created response answers the create in flight');
      this.creating = undefined;
      this.reconnectAttempts = 0;
      if (response.canceled && this.mayBeStaleToken(watcher, response)) {
        // etcd checks a watch's permission with the token the stream was opened with, which may
        // have expired since; retry once on a new stream with a fresh token.
        watcher.tokenRetried = true;
        this.createQueue.unshift(watcher);
        this.restartStream(true);
        return;
      }
      if (response.canceled) this.end(watcher, response);
      else {
        watcher.markCreated(response.watch_id, header);
        this.active.set(response.watch_id, watcher);
        if (watcher.canceled) this.write({ cancel_request: { watch_id: response.watch_id } });
        if (response.events.length > 0) watcher.deliver(header, response.events);
      }
      this.pump();
      return;
    }
    if (response.watch_id === broadcastWatchId) {
      for (const watcher of this.active.values()) watcher.deliver(header, []);
      return;
    }
    const watcher = this.active.get(response.watch_id);
    if (!watcher) return;
    if (response.canceled) {
      this.active.delete(response.watch_id);
      this.end(watcher, response);
      return;
    }
    watcher.deliver(header, response.events);
  }

  private mayBeStaleToken(watcher: Watcher, response: WatchResponse): boolean {
    return (
      this.connection.hasCredentials &&
      !watcher.tokenRetried &&
      response.compact_revision === '0' &&
      staleTokenReasons.some((reason) => response.cancel_reason.includes(reason))
    );
  }

  /** Drops the current stream and re-creates every watch on a new one (from nextRevision). */
  private restartStream(refreshToken: boolean): void {
    this.generation++;
    const call = this.call;
    this.call = undefined;
    this.creating = undefined;
    this.active.clear();
    call?.cancel();
    const pending = this.createQueue.filter((watcher) => !watcher.canceled);
    this.createQueue.length = 0;
    for (const watcher of pending) this.createQueue.push(watcher);
    for (const watcher of this.watchers) {
      if (watcher.id === undefined) continue;
      watcher.id = undefined;
      this.createQueue.push(watcher);
    }
    void this.reconnect(refreshToken);
  }

  private end(watcher: Watcher, response: WatchResponse): void {
    this.watchers.delete(watcher);
    if (response.compact_revision !== '0') {
      const revision = Number(response.compact_revision);
      watcher.finish(new WatchError('compacted', `etcdserver: mvcc: required revision has been compacted (compact revision ${revision})`, revision));
    } else if (watcher.canceled) {
      watcher.finish(undefined);
    } else {
      watcher.finish(new WatchError('canceled', response.cancel_reason || 'watch canceled by the server'));
    }
    this.closeIfIdle();
  }

  private onCancel(watcher: Watcher): void {
    this.watchers.delete(watcher);
    if (watcher.id !== undefined && this.active.get(watcher.id) === watcher && this.call) {
      this.write({ cancel_request: { watch_id: watcher.id } });
      this.active.delete(watcher.id);
    }
    this.closeIfIdle();
  }

  private closeIfIdle(): void {
    if (this.watchers.size === 0 && this.creating === undefined) this.dropStream();
  }

  private dropStream(): void {
    this.generation++;
    const call = this.call;
    this.call = undefined;
    this.active.clear();
    this.creating = undefined;
    this.createQueue.length = 0;
    call?.cancel();
  }

  private onStreamLost(error: ServiceError | undefined): void {
    this.generation++;
    this.call = undefined;
    this.creating = undefined;
    this.active.clear();
    if (this.watchers.size === 0 || this.closed) return;
    if (error?.code === grpcStatus.UNAVAILABLE) this.connection.markUnavailable(this.endpoint);
    const tokenRejected = error !== undefined && this.connection.isTokenRejected(error);
    this.createQueue.length = 0;
    for (const watcher of this.watchers) {
      watcher.id = undefined;
      this.createQueue.push(watcher);
    }
    if (this.reconnectAttempts >= watchReconnectAttemptsMax) {
      const reason = error?.details ?? 'stream ended';
      for (const watcher of [...this.watchers]) watcher.finish(new WatchError('failed', `watch stream lost: ${reason}`));
      this.watchers.clear();
      this.createQueue.length = 0;
      return;
    }
    const delayMs = Math.min(watchReconnectDelayMsMin * 2 ** this.reconnectAttempts, watchReconnectDelayMsMax);
    this.reconnectAttempts++;
    this.reconnectTimer = setTimeout(() => {
      void this.reconnect(tokenRejected);
    }, delayMs);
  }

  private async reconnect(refreshToken: boolean): Promise<void> {
    if (this.closed || this.watchers.size === 0) return;
    try {
      if (refreshToken) await this.connection.refreshToken();
      await this.ensureStream();
      this.pump();
    } catch (error) {
      this.onStreamLost(error as ServiceError);
    }
  }
}
