// Console-wide view state: the current page, the colour theme and the shortcut help. The theme
// preference is saved through the AdminApi (the desktop app's main process or the web host keeps
// it), never in the page's storage.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Preferences, ThemePreference } from '../contract';
import { adminApi, onHostLinkChange } from '../api';
import type { HostLink } from '../webClient';
import { useRequestState } from './requestState';

export const pageNames = ['connections', 'cluster', 'keys', 'watches', 'raft', 'snapshots', 'leases', 'auth', 'raftLive'] as const;
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
  raftLive: 'Raft live',
};

function systemPrefersDark(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches;
}

export const useUiStore = defineStore('ui', () => {
  const page = ref<PageName>('connections');
  const theme = ref<ThemePreference>('system');
  const systemDark = ref(systemPrefersDark());
  const dark = computed(() => (theme.value === 'system' ? systemDark.value : theme.value === 'dark'));
  const shortcutsVisible = ref(false);
  /** Bumped by the refresh shortcut; pages reload their data when it changes. */
  const refreshTick = ref(0);
  const preferencesState = useRequestState();
  /** The web console's event link to its host; `down` while it reconnects (a restarted host). */
  const hostLink = ref<HostLink>('up');
  onHostLinkChange((link) => (hostLink.value = link));

  function open(next: PageName): void {
    page.value = next;
  }

  /** Reads the saved preferences and applies the theme; null when the host could not say. */
  async function loadPreferences(): Promise<Preferences | null> {
    const result = await preferencesState.run(() => adminApi().loadPreferences({}));
    if (!result.ok) return null;
    theme.value = result.value.theme;
    return result.value;
  }

  /** Switches between light and dark, and saves the choice (it then no longer follows the system). */
  function toggleTheme(): void {
    theme.value = dark.value ? 'light' : 'dark';
    const changes = { theme: theme.value };
    void preferencesState.run(() => adminApi().savePreferences({ changes }));
  }

  function requestRefresh(): void {
    refreshTick.value++;
  }
  return {
    page,
    theme,
    dark,
    shortcutsVisible,
    refreshTick,
    hostLink,
    preferencesError: preferencesState.error,
    open,
    loadPreferences,
    toggleTheme,
    requestRefresh,
  };
});
