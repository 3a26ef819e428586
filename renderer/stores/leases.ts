// Leases of the active connection: listing with TTLs and attached keys, grant, revoke, keep-alive.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { LeaseInfo } from '../contract';
import { adminApi } from '../api';
import { useConnectionScope } from './connectionScope';

export const useLeasesStore = defineStore('leases', () => {
  const leases = ref<LeaseInfo[]>([]);
  /** When the TTLs in `leases` were read (Date.now), so the page can count them down. */
  const readAtMs = ref(0);
  const scope = useConnectionScope(() => (leases.value = []));
  const list = scope.requestState(undefined, { keepErrorWhileRunning: true });
  const action = scope.requestState();

  async function load(connectionId: string): Promise<void> {
    const result = await list.run(() => adminApi().listLeases({ connectionId }));
    if (!result.ok) return;
    leases.value = result.value;
    readAtMs.value = Date.now();
  }

  async function grant(connectionId: string, ttlSeconds: number): Promise<LeaseInfo | null> {
    const result = await action.run(() => adminApi().grantLease({ connectionId, ttlSeconds }));
    if (!result.ok) return null;
    await load(connectionId);
    return result.value;
  }

  async function revoke(connectionId: string, leaseId: string): Promise<boolean> {
    const result = await action.run(() => adminApi().revokeLease({ connectionId, leaseId }));
    if (result.ok) leases.value = leases.value.filter((lease) => lease.id !== leaseId);
    return result.ok;
  }

  async function keepAlive(connectionId: string, leaseId: string): Promise<boolean> {
    const result = await action.run(() => adminApi().keepAliveLease({ connectionId, leaseId }));
    if (result.ok) await load(connectionId);
    return result.ok;
  }

  return { leases, readAtMs, loading: list.loading, error: list.error, acting: action.loading, actionError: action.error, load, grant, revoke, keepAlive };
});
