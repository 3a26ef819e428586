// The selected key: its value and metadata, its history, and writes and deletes of it.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { KeyDetail, KeyHistory } from '../contract';
import { adminApi } from '../api';
import { useConnectionScope } from './connectionScope';

/** Versions fetched for the history panel. */
export const historyLimit = 50;

export const useKeyEditorStore = defineStore('keyEditor', () => {
  const selectedKey = ref<string | null>(null);
  const detail = ref<KeyDetail | null>(null);
  const history = ref<KeyHistory | null>(null);
  const scope = useConnectionScope(() => clear());
  // Answers and errors belong to the connection and the key they were asked for.
  const read = scope.requestState(() => selectedKey.value);
  const write = scope.requestState(() => selectedKey.value);
  const historyState = scope.requestState(() => selectedKey.value);

  function forgetErrors(): void {
    for (const state of [read, write, historyState]) state.clear();
  }

  async function select(connectionId: string, key: string): Promise<void> {
    if (selectedKey.value !== key) forgetErrors();
    selectedKey.value = key;
    detail.value = null;
    history.value = null;
    const result = await read.run(() => adminApi().getKey({ connectionId, key }));
    if (result.ok && selectedKey.value === key) detail.value = result.value;
  }

  function startNew(key: string): void {
    forgetErrors();
    selectedKey.value = key;
    detail.value = null;
    history.value = null;
  }

  async function loadHistory(connectionId: string): Promise<void> {
    const key = selectedKey.value;
    if (key === null) return;
    const result = await historyState.run(() => adminApi().keyHistory({ connectionId, key, limit: historyLimit }));
    if (result.ok && selectedKey.value === key) history.value = result.value;
  }

  async function save(connectionId: string, key: string, value: string, leaseId: string | null): Promise<boolean> {
    const request = leaseId ? { connectionId, key, value, leaseId } : { connectionId, key, value };
    const result = await write.run(() => adminApi().putKey(request));
    if (!result.ok) return false;
    await select(connectionId, key);
    return true;
  }

  async function remove(connectionId: string, key: string): Promise<boolean> {
    const result = await write.run(() => adminApi().deleteKey({ connectionId, key }));
    if (!result.ok) return false;
    if (selectedKey.value === key) {
      selectedKey.value = null;
      detail.value = null;
      history.value = null;
    }
    return true;
  }

  function clear(): void {
    forgetErrors();
    selectedKey.value = null;
    detail.value = null;
    history.value = null;
  }

  return {
    selectedKey,
    detail,
    history,
    reading: read.loading,
    readError: read.error,
    writing: write.loading,
    writeError: write.error,
    historyLoading: historyState.loading,
    historyError: historyState.error,
    select,
    startNew,
    loadHistory,
    save,
    remove,
    clear,
  };
});
