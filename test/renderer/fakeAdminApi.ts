// An in-memory fake of the AdminApi contract for component tests of the renderer: keys in a
// sorted map with revisions, a recorded call log, scripted cluster status, and events pushed by
// the test through `emit`. Never used to test the AdminService itself.
import type {
  AdminApi,
  AdminEvent,
  AdminMethodName,
  ClusterStatus,
  ConnectionCapabilities,
  EventListener,
  EventTopic,
  KeyDetail,
  KeyVersion,
  LeaseInfo,
  Preferences,
  RaftProgress,
  Result,
  StatusSample,
  TermSample,
} from '../../renderer/contract';

import { keyLevel } from '../../renderer/keyTree';

export interface FakeCall {
  method: string;
  request: unknown;
}

interface StoredKey {
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: string;
}

function ok<T>(value: T): Promise<Result<T>> {
  return Promise.resolve({ ok: true, value });
}

function unavailable<T>(): Promise<Result<T>> {
  return Promise.resolve({ ok: false, error: { code: 'unavailable', message: 'Local clusters are not available in this build yet.' } });
}

export class FakeAdminApi {
  readonly calls: FakeCall[] = [];
  readonly keys = new Map<string, StoredKey>();
  revision = 1;
  status: ClusterStatus | null = null;
  /** The status ticks clusterHistory answers with. */
  history: StatusSample[] = [];
  /** What listLeases answers. */
  leases: LeaseInfo[] = [];
  /** What raftTermTimeline answers. */
  timeline: TermSample[] = [];
  /** What raftProgress answers; null answers `unavailable` as real etcd does. */
  progress: RaftProgress | null = null;
  /** The preferences the host keeps; savePreferences changes them. */
  preferences: Preferences = { theme: 'system', connectionId: null };
  /** What connectionCapabilities answers: by default a host that can save passwords (the desktop app). */
  capabilities: ConnectionCapabilities = { canSavePasswords: true, passwordNotice: null };
  private readonly listeners = new Map<string, { topic: EventTopic; listener: EventListener }>();
  private nextSubscription = 1;

  /** Stores a key as a write at the next revision would. */
  put(key: string, text: string): void {
    this.revision++;
    const existing = this.keys.get(key);
    this.keys.set(key, {
      value: btoa(text),
      createRevision: existing?.createRevision ?? this.revision,
      modRevision: this.revision,
      version: (existing?.version ?? 0) + 1,
      lease: '0',
    });
  }

  /** Stores a key whose value is given as base64 (any bytes). */
  putBase64(key: string, value: string): void {
    this.put(key, '');
    const stored = this.keys.get(key)!;
    stored.value = value;
    const versions = this.versions.get(key) ?? [];
    versions.unshift({ value, modRevision: stored.modRevision, version: stored.version, lease: stored.lease });
    this.versions.set(key, versions);
  }

  /** Earlier versions written with putBase64, newest first: what keyHistory answers. */
  readonly versions = new Map<string, KeyVersion[]>();

  /** Calls made to `method`, in order. */
  callsTo(method: AdminMethodName | 'subscribe' | 'unsubscribe'): unknown[] {
    return this.calls.filter((call) => call.method === method).map((call) => call.request);
  }

  /** Delivers an event to the subscribers of its topic. */
  emit(event: AdminEvent): void {
    for (const { topic, listener } of this.listeners.values()) {
      const matches =
        (topic.kind === 'watch' && (event.kind === 'watch' || event.kind === 'watchEnded') && event.watchId === topic.watchId) ||
        (topic.kind === 'clusterStatus' && event.kind === 'clusterStatus' && event.connectionId === topic.connectionId);
      if (matches) listener(event);
    }
  }

  private sorted: { size: number; revision: number; keys: string[] } | null = null;

  /** The keys in order, sorted again only after a change (the cap test lists 50,000 keys page by page). */
  private sortedKeys(): string[] {
    if (this.sorted?.size !== this.keys.size || this.sorted.revision !== this.revision) {
      this.sorted = { size: this.keys.size, revision: this.revision, keys: [...this.keys.keys()].sort() };
    }
    return this.sorted.keys;
  }

  private detail(key: string): KeyDetail | null {
    const stored = this.keys.get(key);
    return stored ? { key, ...stored, revision: this.revision } : null;
  }

  /** The fake as an AdminApi, recording every call. */
  api(): AdminApi {
    const implementation: Partial<AdminApi> = {
      listConnections: () => ok([{ id: 'c1', name: 'test', endpoints: ['127.0.0.1:2379'], tlsEnabled: false, skipVerify: false, username: null, hasPassword: false, passwordSaved: false }]),
      addConnection: ({ config }) =>
        ok({ id: 'c2', name: config.name, endpoints: config.endpoints, tlsEnabled: false, skipVerify: false, username: null, hasPassword: false, passwordSaved: false }),
      connectionCapabilities: () => ok({ ...this.capabilities }),
      testConnection: () => ok({ version: '3.4.0', clusterId: '1', leaderId: '2', memberCount: 1, revision: this.revision, endpoint: '127.0.0.1:2379' }),
      listKeys: ({ prefix, cursor, limit, skip }) => {
        const under = this.sortedKeys().filter((key) => key.startsWith(prefix));
        const boundary = cursor === null ? 0 : under.filter((key) => key < cursor).length;
        const offset = Math.min(under.length, boundary + (skip ?? 0));
        const pageEnd = Math.min(under.length, offset + limit);
        const page = under.slice(offset, pageEnd);
        const last = page[page.length - 1];
        return ok({
          items: page.map((key) => {
            const stored = this.keys.get(key)!;
            return { key, version: stored.version, createRevision: stored.createRevision, modRevision: stored.modRevision, lease: stored.lease };
          }),
          nextCursor: pageEnd < under.length && last !== undefined ? `${last}\0` : null,
          remaining: under.length - offset,
          offset,
          total: under.length,
          revision: this.revision,
          waypoints: [],
        });
      },
      listFolder: ({ prefix }) => {
        const level = keyLevel(
          this.sortedKeys().filter((key) => key.startsWith(prefix)).map((key) => ({ key, version: 1, createRevision: 1, modRevision: 1, lease: '0' })),
          prefix,
        );
        return ok({ folders: level.folders.map(({ name, prefix: folderPrefix }) => ({ name, prefix: folderPrefix })), keys: level.keys, nextCursor: null, revision: this.revision });
      },
      getKey: ({ key }) => {
        const detail = this.detail(key);
        return detail ? ok(detail) : Promise.resolve({ ok: false, error: { code: 'not_found', message: `The key "${key}" does not exist.` } });
      },
      putKey: ({ key, value }) => {
        this.put(key, atob(value));
        return ok({ revision: this.revision });
      },
      deleteKey: ({ key }) => {
        const deleted = this.keys.delete(key) ? 1 : 0;
        this.revision++;
        return ok({ deleted, revision: this.revision });
      },
      importKeys: ({ document, atomic }) => {
        for (const entry of document.keys) this.putBase64(entry.key, entry.value);
        return ok({ written: document.keys.length, skipped: 0, revision: atomic ? this.revision : null, transactions: atomic ? 1 : document.keys.length });
      },
      keyHistory: ({ key }) => ok({ key, versions: [...(this.versions.get(key) ?? [])], truncatedByCompaction: false, truncatedByLimit: false }),
      clusterStatus: () =>
        this.status ? ok(this.status) : Promise.resolve({ ok: false, error: { code: 'connection_failed', message: 'No cluster.' } }),
      moveLeader: () => ok(null),
      listLeases: () => ok(this.leases.map((lease) => ({ ...lease }))),
      clusterHistory: () => ok({ samples: [...this.history], terms: [] }),
      raftTermTimeline: () => ok([...this.timeline]),
      raftProgress: () =>
        this.progress
          ? ok(this.progress)
          : Promise.resolve({ ok: false, error: { code: 'unavailable', message: 'This member does not serve Rafter’s raft inspection endpoint.' } }),
      loadPreferences: () => ok({ ...this.preferences }),
      savePreferences: ({ changes }) => {
        this.preferences = { ...this.preferences, ...changes };
        return ok({ ...this.preferences });
      },
      listLocalClusters: () => unavailable(),
      createLocalCluster: () => unavailable(),
      startWatch: (request) =>
        ok({
          watchId: `w${this.callsTo('startWatch').length}`,
          connectionId: request.connectionId,
          key: request.key,
          prefix: request.prefix,
          prevKv: request.prevKv,
          startRevision: request.startRevision ?? null,
          eventCount: 0,
          state: 'active',
          error: null,
        }),
      stopWatch: () => ok(null),
      listWatches: () => ok([]),
      subscribe: (topic, listener) => {
        const subscriptionId = `s${this.nextSubscription++}`;
        this.listeners.set(subscriptionId, { topic, listener });
        return ok({ subscriptionId });
      },
      unsubscribe: (subscriptionId) => {
        this.listeners.delete(subscriptionId);
        return ok(null);
      },
    };
    return new Proxy(implementation, {
      get: (target, property: string) => {
        const method = target[property as keyof AdminApi] as ((...args: unknown[]) => Promise<Result<unknown>>) | undefined;
        return (...args: unknown[]) => {
          this.calls.push({ method: property, request: args[0] });
          if (!method) return Promise.resolve({ ok: false, error: { code: 'internal', message: `The fake has no ${property}.` } });
          return method(...args);
        };
      },
    }) as AdminApi;
  }
}
