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
    events.value = [...events.value, ...rows].slice(-eventsKeptMax);
  }

  /** Records events delivered for `watchId` (also used by the subscription listener). */
  function receive(watchId: string, received: WatchEvent[]): void {
    const now = Date.now();
    const rows = received.map((event) => ({ ...event, watchId, sequence: ++sequence, receivedAtMs: now }));
    for (const row of rows) counts.value[row.type]++;
    const info = watches.value.find((watch) => watch.watchId === watchId);
    if (info) info.eventCount += rows.length;
    append(rows);
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
    dropped.value = 0;
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
