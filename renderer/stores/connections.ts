// Saved connections and the active one. Every other store works on the active connection; the
// choice is saved as a preference so the console opens on it next time.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ConnectionCapabilities, ConnectionConfig, ConnectionProbe, ConnectionSummary, EditableConnection } from '../contract';
import { adminApi } from '../api';
import { useRequestState } from './requestState';

export const useConnectionsStore = defineStore('connections', () => {
  const connections = ref<ConnectionSummary[]>([]);
  const activeId = ref<string | null>(null);
  const probe = ref<ConnectionProbe | null>(null);
  /** What the host offers (remembering passwords); null until asked, or when asking failed. */
  const capabilities = ref<ConnectionCapabilities | null>(null);
  const list = useRequestState();
  const change = useRequestState();
  const tester = useRequestState();
  /** The connection being edited (its settings without secrets), or null while adding one. */
  const editing = ref<(EditableConnection & { id: string }) | null>(null);

  const active = computed(() => connections.value.find((connection) => connection.id === activeId.value) ?? null);

  /** Remembers the active connection with the host (best effort: a failure changes nothing here). */
  function rememberActive(): void {
    const changes = { connectionId: activeId.value };
    void adminApi().savePreferences({ changes }).catch(() => undefined);
  }

  /**
   * Lists the saved connections. `preferredId` (the saved choice, at start) becomes active when it
   * exists, whatever another listing chose meanwhile; otherwise an active connection that still
   * exists stays, and with none the first is taken.
   */
  async function load(preferredId: string | null = null): Promise<void> {
    const result = await list.run(() => adminApi().listConnections({}));
    if (!result.ok) return;
    connections.value = result.value;
    const preferred = result.value.find((connection) => connection.id === preferredId);
    if (preferred) {
      activeId.value = preferred.id;
      return;
    }
    if (activeId.value !== null && !result.value.some((connection) => connection.id === activeId.value)) activeId.value = null;
    activeId.value ??= result.value[0]?.id ?? null;
  }

  /** Asks the host once what it offers for connections; a failure leaves the offer out. */
  async function loadCapabilities(): Promise<void> {
    if (capabilities.value !== null) return;
    const result = await adminApi().connectionCapabilities({});
    if (result.ok) capabilities.value = result.value;
  }

  async function add(config: ConnectionConfig): Promise<boolean> {
    const result = await change.run(() => adminApi().addConnection({ config }));
    if (!result.ok) return false;
    connections.value = [...connections.value, result.value];
    activeId.value = result.value.id;
    rememberActive();
    return true;
  }

  async function remove(connectionId: string): Promise<boolean> {
    const result = await change.run(() => adminApi().removeConnection({ connectionId }));
    if (!result.ok) return false;
    connections.value = connections.value.filter((connection) => connection.id !== connectionId);
    if (activeId.value === connectionId) {
      activeId.value = connections.value[0]?.id ?? null;
      rememberActive();
    }
    return true;
  }

  /** Tests `config`; while editing, the saved secrets fill those it leaves out. */
  async function test(config: ConnectionConfig): Promise<boolean> {
    probe.value = null;
    const secretsFrom = editing.value?.id;
    const result = await tester.run(() => adminApi().testConnection(secretsFrom === undefined ? { config } : { config, secretsFrom }));
    if (result.ok) probe.value = result.value;
    return result.ok;
  }

  /** Opens a saved connection in the form; false when it could not be read. */
  async function startEdit(connectionId: string): Promise<boolean> {
    probe.value = null;
    tester.clear();
    const result = await change.run(() => adminApi().getConnection({ connectionId }));
    if (!result.ok) return false;
    editing.value = { ...result.value, id: connectionId };
    return true;
  }

  function stopEdit(): void {
    editing.value = null;
    probe.value = null;
    tester.clear();
    change.clear();
  }

  /** Saves the edited connection, keeping its saved secrets where the form left them out. */
  async function update(config: ConnectionConfig, keep: { password: boolean; clientKey: boolean; sshSecrets: boolean }): Promise<boolean> {
    const target = editing.value;
    if (target === null) return false;
    const result = await change.run(() =>
      adminApi().updateConnection({ connectionId: target.id, config, keepPassword: keep.password, keepClientKey: keep.clientKey, keepSshSecrets: keep.sshSecrets }),
    );
    if (!result.ok) return false;
    connections.value = connections.value.map((connection) => (connection.id === target.id ? result.value : connection));
    editing.value = null;
    return true;
  }

  function select(connectionId: string): void {
    activeId.value = connectionId;
    rememberActive();
  }

  return {
    connections,
    activeId,
    active,
    probe,
    capabilities,
    loading: list.loading,
    error: list.error,
    changing: change.loading,
    changeError: change.error,
    testing: tester.loading,
    testError: tester.error,
    editing,
    load,
    loadCapabilities,
    add,
    update,
    startEdit,
    stopEdit,
    remove,
    test,
    select,
  };
});
