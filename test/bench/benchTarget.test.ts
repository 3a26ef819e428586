// `npm run bench` sends its sequential puts to the leader, then to a follower, on both sides:
// endpointsFor finds which is which from each member's /metrics. Checked here against a real
// 3-member Rafter cluster and a real 3-member etcd, each compared with what `etcdctl endpoint
// status` says about the same endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointsFor } from '../../bench/goLoadgen.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { etcdctl, RafterCluster } from '../support/rafterCluster.js';

interface EndpointStatus {
  readonly Endpoint: string;
  readonly Status: { readonly header: { readonly member_id: number | string }; readonly leader: number | string };
}

/** The endpoint whose member `etcdctl endpoint status` names as the leader, and the others. */
async function statusRoles(endpoints: readonly string[]): Promise<{ leader: string[]; followers: string[] }> {
  const result = await etcdctl(endpoints, ['endpoint', 'status', '-w', 'json']);
  const statuses = JSON.parse(result.stdout) as EndpointStatus[];
  const bare = (endpoint: string): string => endpoint.replace(/^https?:\/\//, '');
  const leads = (s: EndpointStatus): boolean => String(s.Status.header.member_id) === String(s.Status.leader);
  return {
    leader: statuses.filter(leads).map((s) => bare(s.Endpoint)),
    followers: statuses.filter((s) => !leads(s)).map((s) => bare(s.Endpoint)).sort(),
  };
}

async function expectRolesMatch(endpoints: readonly string[]): Promise<void> {
  const roles = await statusRoles(endpoints);
  expect(roles.leader).toHaveLength(1);
  expect(roles.followers).toHaveLength(2);
  expect(await endpointsFor(endpoints, 'leader')).toEqual(roles.leader);
  const follower = await endpointsFor(endpoints, 'follower');
  expect(follower).toHaveLength(1);
  expect(roles.followers).toContain(follower[0]);
  expect(await endpointsFor(endpoints, undefined)).toEqual(endpoints);
}

describe('the bench finds the leader and a follower', () => {
  let rafter: RafterCluster;
  let etcd: EtcdTestCluster;

  beforeAll(async () => {
    [rafter, etcd] = await Promise.all([
      RafterCluster.start({ members: 3, extraArgs: ['--log-level=warn'] }),
      EtcdTestCluster.start({ members: 3 }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([rafter?.stop(), etcd?.stop()]);
  });

  it('on a Rafter cluster', async () => {
    await rafter.leader();
    await expectRolesMatch(rafter.endpoints);
  });

  it('on an etcd cluster', async () => {
    await expectRolesMatch(etcd.endpoints.map((url) => url.replace(/^https?:\/\//, '')));
  });

  it('leaves a one-member list as it is', async () => {
    const one = rafter.endpoints.slice(0, 1);
    expect(await endpointsFor(one, 'follower')).toEqual(one);
  });
});
