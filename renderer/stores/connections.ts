// Saved connections and the active one. Every other store works on the active connection.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ConnectionConfig, ConnectionProbe, ConnectionSummary } from '../contract';
import { adminApi } from '../api';
import { useRequestState } from './requestState';

export const useConnectionsStore = defineStore('connections', () => {
  const connections = ref<ConnectionSummary[]>([]);
  const activeId = ref<string | null>(null);
  const probe = ref<ConnectionProbe | null>(null);
  const list = useRequestState();
  const change = useRequestState();
  const tester = useRequestState();

  const active = computed(() => connections.value.find((connection) => connection.id === activeId.value) ?? null);

  async function load(): Promise<void> {
    const result = await list.run(() => adminApi().listConnections({}));
    if (!result.ok) return;
    connections.value = result.value;
    if (activeId.value !== null && !result.value.some((connection) => connection.id === activeId.value)) activeId.value = null;
    activeId.value ??= result.value[0]?.id ?? null;
  }

  async function add(config: ConnectionConfig): Promise<boolean> {
    const result = await change.run(() => adminApi().addConnection({ config }));
    if (!result.ok) return false;
    connections.value = [...connections.value, result.value];
    activeId.value = result.value.id;
    return true;
  }

  async function remove(connectionId: string): Promise<boolean> {
    const result = await change.run(() => adminApi().removeConnection({ connectionId }));
    if (!result.ok) return false;
    connections.value = connections.value.filter((connection) => connection.id !== connectionId);
    if (activeId.value === connectionId) activeId.value = connections.value[0]?.id ?? null;
    return true;
  }

  async function test(config: ConnectionConfig): Promise<boolean> {
    probe.value = null;
    const result = await tester.run(() => adminApi().testConnection({ config }));
    if (result.ok) probe.value = result.value;
    return result.ok;
  }

  function select(connectionId: string): void {
    activeId.value = connectionId;
  }

  return {
    connections,
    activeId,
    active,
    probe,
    loading: list.loading,
    error: list.error,
    changing: change.loading,
    changeError: change.error,
    testing: tester.loading,
    testError: tester.error,
    load,
    add,
    remove,
    test,
    select,
  };
});
