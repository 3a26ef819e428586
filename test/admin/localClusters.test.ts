// Local clusters through the AdminService: real `rafter` member processes launched, listed,
// killed and restarted, partitioned and healed, grown by a learner that is promoted, shrunk, and
// destroyed with their data; a snapshot restored into a new local cluster.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStatus, LocalClusterInfo, Result } from '../../core/admin/api.js';
import { AdminService } from '../../core/admin/adminService.js';
import { compiledMemberCommand } from '../../core/admin/memberCommand.js';
import { value } from '../support/adminResults.js';

/** Status polls while waiting for the cluster to settle (each ~100 ms apart): a bound, not a pause. */
const settlePollsMax = 300;

let baseDir: string;
let service: AdminService;
let cluster: LocalClusterInfo;

/** Polls cluster status until `done` holds (bounded). */
async function statusUntil(connectionId: string, done: (status: ClusterStatus) => boolean): Promise<ClusterStatus> {
  let last: Result<ClusterStatus> | null = null;
  for (let poll = 0; poll < settlePollsMax; poll++) {
    last = await service.clusterStatus({ connectionId });
    if (last.ok && done(last.value)) return last.value;
    await delay(100);
  }
  throw new Error(`cluster did not settle: ${JSON.stringify(last)}`);
}

beforeAll(async () => {
  baseDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-local-test-'));
  const memberCommand = compiledMemberCommand();
  if (!memberCommand) throw new Error('the rafter member command is missing from this checkout');
  service = new AdminService({ localClusters: { baseDir, memberCommand, logsDir: path.join(baseDir, 'logs') } });
  cluster = value(await service.createLocalCluster({ name: 'trio', memberCount: 3 }));
}, 180_000);

afterAll(async () => {
  await service?.close();
  await rm(baseDir, { recursive: true, force: true });
});

const leaderCount = (status: ClusterStatus) => status.members.filter((member) => member.isLeader).length;

describe('local clusters', () => {
  it('launches three members, saved as a connection that serves the etcd API', async () => {
    expect(cluster.members.map((member) => [member.name, member.state])).toEqual([
      ['m1', 'running'],
      ['m2', 'running'],
      ['m3', 'running'],
    ]);
    expect(value(await service.listConnections({})).map((connection) => connection.name)).toContain('local: trio');
    const status = await statusUntil(cluster.connectionId, (candidate) => leaderCount(candidate) === 1 && candidate.members.every((member) => member.healthy));
    expect(status.members).toHaveLength(3);
    value(await service.putKey({ connectionId: cluster.connectionId, key: '/local/a', value: Buffer.from('1').toString('base64') }));
    expect(value(await service.memberLogs({ clusterId: cluster.id, memberName: 'm1', tailLines: 50 })).join('\n')).toContain('ready to serve client requests');
    // The same log is kept in a file of the logs folder, which the desktop app's menu opens.
    expect(await readFile(path.join(baseDir, 'logs', `${cluster.id}-m1.log`), 'utf8')).toContain('ready to serve client requests');
  });

  it('elects a new leader when the leader is killed, and takes the member back after a restart', async () => {
    const before = await statusUntil(cluster.connectionId, (status) => leaderCount(status) === 1);
    const leader = before.members.find((member) => member.isLeader)!;
    const killed = value(await service.controlMember({ clusterId: cluster.id, memberName: leader.name, action: 'kill' }));
    expect(killed.state).toBe('killed');
    const after = await statusUntil(cluster.connectionId, (status) => status.members.some((member) => member.isLeader && member.id !== leader.id));
    expect(after.members.find((member) => member.id === leader.id)?.healthy).toBe(false);
    const restarted = value(await service.controlMember({ clusterId: cluster.id, memberName: leader.name, action: 'start' }));
    expect(restarted.state).toBe('running');
    await statusUntil(cluster.connectionId, (status) => status.members.every((member) => member.healthy) && leaderCount(status) === 1);
  });

  it('partitions a member away and heals it', async () => {
    value(await service.partitionMember({ clusterId: cluster.id, memberName: 'm3' }));
    const listed = value(await service.listLocalClusters({}))[0]!;
    expect(listed.members.find((member) => member.name === 'm3')?.state).toBe('partitioned');
    // Written through the majority side only: a request sent to the cut-off member times out, as etcd's would.
    const majorityEndpoints = listed.members.filter((member) => member.name !== 'm3').map((member) => member.clientUrl);
    const majority = value(await service.addConnection({ config: { name: 'majority side', endpoints: majorityEndpoints } }));
    // If m3 led, the majority side elects a new leader first; a write caught in between times out and is retried.
    let written = await service.putKey({ connectionId: majority.id, key: '/local/during-partition', value: Buffer.from('x').toString('base64') });
    for (let attempt = 0; attempt < 3 && !written.ok; attempt++) {
      written = await service.putKey({ connectionId: majority.id, key: '/local/during-partition', value: Buffer.from('x').toString('base64') });
    }
    value(written);
    value(await service.removeConnection({ connectionId: majority.id }));
    value(await service.healPartitions({ clusterId: cluster.id }));
    expect(value(await service.listLocalClusters({}))[0]!.members.find((member) => member.name === 'm3')?.state).toBe('running');
    await statusUntil(cluster.connectionId, (status) => {
      const indexes = status.members.map((member) => member.raftAppliedIndex);
      return status.members.every((member) => member.healthy) && new Set(indexes).size === 1;
    });
  });

  it('adds a learner, promotes it and removes a member', async () => {
    const learner = value(await service.addLocalMember({ clusterId: cluster.id, asLearner: true }));
    expect(learner).toMatchObject({ name: 'm4', isLearner: true, state: 'running' });
    await statusUntil(cluster.connectionId, (status) => status.members.some((member) => member.id === learner.memberId && member.isLearner));
    await statusUntil(cluster.connectionId, (status) => {
      const leaderIndex = status.members.find((member) => member.isLeader)?.raftAppliedIndex ?? -1;
      return status.members.find((member) => member.id === learner.memberId)?.raftAppliedIndex === leaderIndex;
    });
    let promoted: Result<unknown> = { ok: false, error: { code: 'internal', message: 'not tried' } };
    for (let attempt = 0; attempt < settlePollsMax && !promoted.ok; attempt++) {
      promoted = await service.promoteLocalMember({ clusterId: cluster.id, memberName: 'm4' });
      if (!promoted.ok) await delay(100);
    }
    expect(promoted).toMatchObject({ ok: true, value: { isLearner: false } });
    // The promotion is a membership change of its own: until it is applied, another is refused.
    let removed: Result<unknown> = { ok: false, error: { code: 'internal', message: 'not tried' } };
    for (let attempt = 0; attempt < settlePollsMax && !removed.ok; attempt++) {
      removed = await service.removeLocalMember({ clusterId: cluster.id, memberName: 'm4' });
      if (!removed.ok && !removed.error.message.includes('already in progress')) break;
      if (!removed.ok) await delay(100);
    }
    expect(removed).toMatchObject({ ok: true });
    const status = await statusUntil(cluster.connectionId, (candidate) => candidate.members.length === 3 && leaderCount(candidate) === 1);
    expect(status.members.map((member) => member.name).sort()).toEqual(['m1', 'm2', 'm3']);
  });

  it('restores a saved snapshot into a new local cluster and destroys clusters with their data', async () => {
    const snapshot = path.join(baseDir, 'trio.db');
    value(await service.saveSnapshot({ connectionId: cluster.connectionId, path: snapshot, operationId: 'restore-test' }));
    const restored = value(await service.restoreSnapshot({ path: snapshot, clusterName: 'copy', memberCount: 1 }));
    const copied = value(await service.getKey({ connectionId: restored.connectionId, key: '/local/a' }));
    expect(Buffer.from(copied.value, 'base64').toString('utf8')).toBe('1');
    for (const local of [restored, cluster]) {
      value(await service.destroyLocalCluster({ clusterId: local.id }));
      expect(existsSync(local.dataDir)).toBe(false);
    }
    expect(value(await service.listLocalClusters({}))).toEqual([]);
    expect(value(await service.listConnections({}))).toEqual([]);
  });
});
