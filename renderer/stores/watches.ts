// Live watches: starting and stopping them, the bounded table of received events, filters,
// pause/resume (events keep arriving and are held while paused) and export of what is shown.
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { WatchEvent, WatchInfo, WatchRequest } from '../contract';
import { adminApi } from '../api';
import { useRequestState } from './requestState';

/** Most events the table keeps; older ones are dropped first. */
export const eventsKeptMax = 5_000;
/** Most events held while paused; beyond it the oldest held events are dropped. */
export const pausedEventsMax = 5_000;

/** An event as the table shows it. */
export interface WatchEventRow extends WatchEvent {
  sequence: number;
  watchId: string;
  receivedAtMs: number;
}

export interface WatchFilters {
  watchId: string | null;
  type: 'all' | 'put' | 'delete';
  keyContains: string;
}

export const useWatchesStore = defineStore('watches', () => {
  const watches = ref<WatchInfo[]>([]);
  const events = shallowRef<WatchEventRow[]>([]);
  const held = shallowRef<WatchEventRow[]>([]);
  const paused = ref(false);
  const dropped = ref(0);
  /** Events dropped from the table by its cap (eventsKeptMax) while live: the oldest go first. */
  const trimmed = ref(0);
  /** Rows received since the last flush; the table takes them in one batch per frame. */
  let pending: WatchEventRow[] = [];
  let flushScheduled = false;
  const filters = ref<WatchFilters>({ watchId: null, type: 'all', keyContains: '' });
  const counts = ref({ put: 0, delete: 0 });
  const state = useRequestState();
  const subscriptions = new Map<string, string>();
  let sequence = 0;

  const filtered = computed(() => {
    const { watchId, type, keyContains } = filters.value;
    return events.value.filter(
      (row) =>
        (watchId === null || row.watchId === watchId) &&
        (type === 'all' || row.type === type) &&
        (keyContains === '' || row.key.includes(keyContains)),
    );
  });

  function append(rows: WatchEventRow[]): void {
    if (paused.value) {
      const next = [...held.value, ...rows];
      dropped.value += Math.max(0, next.length - pausedEventsMax);
      held.value = next.slice(-pausedEventsMax);
      return;
    }
    const next = [...events.value, ...rows];
    trimmed.value += Math.max(0, next.length - eventsKeptMax);
    events.value = next.length > eventsKeptMax ? next.slice(-eventsKeptMax) : next;
  }

  function flush(): void {
    flushScheduled = false;
    const rows = pending;
    pending = [];
    if (rows.length > 0) append(rows);
  }

  /**
   * Queues rows for the table and flushes them once per animation frame, so a burst of thousands
   * of events costs one table update per frame instead of one per message.
   */
  function enqueue(rows: WatchEventRow[]): void {
    pending.push(...rows);
    if (flushScheduled) return;
    flushScheduled = true;
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(flush);
    else setTimeout(flush, 0);
  }

  /** Records events delivered for `watchId` (also used by the subscription listener). */
  function receive(watchId: string, received: WatchEvent[]): void {
    const now = Date.now();
    const rows = received.map((event) => ({ ...event, watchId, sequence: ++sequence, receivedAtMs: now }));
    for (const row of rows) counts.value[row.type]++;
    const info = watches.value.find((watch) => watch.watchId === watchId);
    if (info) info.eventCount += rows.length;
    enqueue(rows);
  }

  async function load(): Promise<void> {
    const result = await state.run(() => adminApi().listWatches({}));
    if (result.ok) watches.value = result.value;
  }

  async function start(request: WatchRequest): Promise<boolean> {
    const result = await state.run(() => adminApi().startWatch(request));
    if (!result.ok) return false;
    const info = result.value;
    watches.value = [...watches.value, info];
    const subscribed = await adminApi().subscribe({ kind: 'watch', watchId: info.watchId }, (event) => {
      if (event.kind === 'watch') receive(event.watchId, event.events);
      if (event.kind === 'watchEnded') {
        const watch = watches.value.find((candidate) => candidate.watchId === event.watchId);
        if (watch) {
          watch.state = 'failed';
          watch.error = event.reason;
        }
      }
    });
    if (subscribed.ok) subscriptions.set(info.watchId, subscribed.value.subscriptionId);
    else state.error.value = subscribed.error;
    return subscribed.ok;
  }

  async function stop(watchId: string): Promise<boolean> {
    const subscriptionId = subscriptions.get(watchId);
    subscriptions.delete(watchId);
    if (subscriptionId !== undefined) await adminApi().unsubscribe(subscriptionId);
    const result = await state.run(() => adminApi().stopWatch({ watchId }));
    if (result.ok) watches.value = watches.value.map((watch) => (watch.watchId === watchId ? { ...watch, state: 'stopped' } : watch));
    return result.ok;
  }

  function pause(): void {
    paused.value = true;
  }

  function resume(): void {
    paused.value = false;
    const rows = held.value;
    held.value = [];
    append(rows);
  }

  function clear(): void {
    events.value = [];
    held.value = [];
    pending = [];
    dropped.value = 0;
    trimmed.value = 0;
    counts.value = { put: 0, delete: 0 };
  }

  /** The events the filters currently show, as pretty JSON. */
  function exportShown(): string {
    return JSON.stringify(filtered.value, null, 2);
  }

  return {
    watches,
    events,
    held,
    paused,
    dropped,
    trimmed,
    filters,
    counts,
    filtered,
    loading: state.loading,
    error: state.error,
    receive,
    load,
    start,
    stop,
    pause,
    resume,
    clear,
    exportShown,
  };
});
