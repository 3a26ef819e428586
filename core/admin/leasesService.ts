// Leases over the etcd client: the list with remaining TTLs and attached keys, grant, revoke and a
// single keep-alive.
import type { EtcdClient } from '../client/etcdClient.js';
import type { LeaseInfo } from './api.js';
import { AdminFailure } from './result.js';

/** Most leases the Leases page lists (each costs one TimeToLive call). */
export const leasesListMax = 500;
/** Most attached keys listed per lease. */
export const leaseKeysShownMax = 100;

export async function leaseInfo(client: EtcdClient, leaseId: string): Promise<LeaseInfo> {
  const lease = await client.lease.timeToLive(leaseId, { keys: true });
  if (lease.ttl === -1 && lease.grantedTtl === 0) throw new AdminFailure('not_found', `Lease ${leaseId} does not exist (it may have expired).`);
  return {
    id: lease.id,
    ttlSeconds: lease.ttl,
    grantedTtlSeconds: lease.grantedTtl,
    keys: lease.keys.slice(0, leaseKeysShownMax).map((key) => key.toString('utf8')),
  };
}

/** The live leases, at most leasesListMax; leases that expire while listing are left out. */
export async function listLeases(client: EtcdClient): Promise<LeaseInfo[]> {
  const ids = (await client.lease.leases()).slice(0, leasesListMax);
  const infos = await Promise.all(ids.map((id) => leaseInfo(client, id).catch(() => null)));
  return infos.filter((info): info is LeaseInfo => info !== null);
}

export async function grantLease(client: EtcdClient, ttlSeconds: number): Promise<LeaseInfo> {
  const granted = await client.lease.grant(ttlSeconds);
  return { id: granted.id, ttlSeconds: granted.ttl, grantedTtlSeconds: granted.ttl, keys: [] };
}
