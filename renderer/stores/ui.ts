// Console-wide view state: the current page, the colour theme and the shortcut help. Preferences
// are not persisted by the renderer (the desktop app's main process owns saved preferences).
import { defineStore } from 'pinia';
import { ref } from 'vue';

export const pageNames = ['connections', 'cluster', 'keys', 'watches', 'raft', 'snapshots', 'leases', 'auth'] as const;
export type PageName = (typeof pageNames)[number];

export const pageTitles: Record<PageName, string> = {
  connections: 'Connections',
  cluster: 'Cluster',
  keys: 'Keys',
  watches: 'Watches',
  raft: 'Raft',
  snapshots: 'Snapshots',
  leases: 'Leases',
  auth: 'Auth',
};

export const useUiStore = defineStore('ui', () => {
  const page = ref<PageName>('connections');
  const dark = ref(typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  const shortcutsVisible = ref(false);
  /** Bumped by the refresh shortcut; pages reload their data when it changes. */
  const refreshTick = ref(0);

  function open(next: PageName): void {
    page.value = next;
  }
  function toggleTheme(): void {
    dark.value = !dark.value;
  }
  function requestRefresh(): void {
    refreshTick.value++;
  }
  return { page, dark, shortcutsVisible, refreshTick, open, toggleTheme, requestRefresh };
});
