// Local clusters remembered across restarts of the app: the first run creates the default
// 3-member cluster and opens on it; a key put through the service survives closing the service
// and opening a new one on the same data folder, whose members are started again on their data —
// except those the user stopped (killed or crashed members do come back).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalClusterInfo } from '../../core/admin/api.js';
import { AdminService } from '../../core/admin/adminService.js';
import { appDataOptions } from '../../core/admin/appData.js';
import { localClusterFileName } from '../../core/admin/localClusterFile.js';
import type { MemberCommand } from '../../core/admin/localMember.js';
import { compiledMemberCommand } from '../../core/admin/memberCommand.js';
import { value } from '../support/adminResults.js';

/** Reads retried while a restarted cluster elects a leader (each ~100 ms apart): a bound, not a pause. */
const readAttemptsMax = 100;

let dataDir: string;
let memberCommand: MemberCommand;
const services: AdminService[] = [];

/** Reads `key` once the restarted cluster serves it; on giving up, fails with the members' logs. */
async function readEventually(service: AdminService, connectionId: string, key: string): Promise<string> {
  let read = await service.getKey({ connectionId, key });
  for (let attempt = 0; attempt < readAttemptsMax && !read.ok; attempt++) {
    await delay(100);
    read = await service.getKey({ connectionId, key });
  }
  if (read.ok) return Buffer.from(read.value.value, 'base64').toString('utf8');
  const logs: string[] = [];
  for (const cluster of value(await service.listLocalClusters({}))) {
    for (const member of cluster.members) {
      const tail = await service.memberLogs({ clusterId: cluster.id, memberName: member.name, tailLines: 15 });
      logs.push(`${member.name} (${member.state}):`, ...(tail.ok ? tail.value : [tail.error.message]));
    }
  }
  throw new Error(`${key} was not readable: ${read.error.message}\n${logs.join('\n')}`);
}

/** Holds `port` on 127.0.0.1, as another program would. */
function listenOn(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function openService(): Promise<AdminService> {
  const service = new AdminService(appDataOptions(dataDir, memberCommand));
  services.push(service);
  await service.open();
  return service;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-app-data-'));
  const command = compiledMemberCommand();
  if (!command) throw new Error('the rafter member command is missing from this checkout');
  memberCommand = command;
});

afterAll(async () => {
  for (const service of services) await service.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('local clusters across restarts', () => {
  let first: LocalClusterInfo;

  it('creates, starts and opens on a default 3-member cluster on the first run only', async () => {
    const service = await openService();
    const created = await service.createFirstRunCluster();
    expect(created).not.toBeNull();
    first = created!;
    expect(first.name).toBe('default');
    expect(first.members.map((member) => member.state)).toEqual(['running', 'running', 'running']);
    expect(first.dataDir).toBe(path.join(dataDir, 'clusters', first.id));
    expect(value(await service.loadPreferences({})).connectionId).toBe(first.connectionId);
    expect(value(await service.listConnections({})).map((connection) => connection.name)).toEqual(['local: default']);
    expect(await service.createFirstRunCluster()).toBeNull();
    const saved = JSON.parse(await readFile(path.join(dataDir, 'clusters', localClusterFileName), 'utf8')) as { clusters: { name: string; members: unknown[] }[] };
    expect(saved.clusters.map((cluster) => [cluster.name, cluster.members.length])).toEqual([['default', 3]]);
  }, 180_000);

  it('keeps a key put through the service after the service closes and a new one opens on the same folder', async () => {
    const service = services[0]!;
    value(await service.putKey({ connectionId: first.connectionId, key: '/kept/across/restart', value: Buffer.from('still here').toString('base64') }));
    value(await service.savePreferences({ changes: { theme: 'dark' } }));
    await service.close();
    expect(existsSync(first.dataDir)).toBe(true);

    const reopened = await openService();
    expect(await reopened.createFirstRunCluster()).toBeNull();
    const [cluster] = value(await reopened.listLocalClusters({}));
    expect(cluster).toMatchObject({ id: first.id, name: 'default', connectionId: first.connectionId, dataDir: first.dataDir });
    expect(cluster!.members.map((member) => [member.name, member.state, member.clientUrl])).toEqual(
      first.members.map((member) => [member.name, 'running', member.clientUrl]),
    );
    expect(value(await reopened.loadPreferences({}))).toEqual({ theme: 'dark', connectionId: first.connectionId });
    expect(await readEventually(reopened, first.connectionId, '/kept/across/restart')).toBe('still here');
  }, 180_000);

  it('leaves a member the user stopped stopped when the app starts again, and starts it once the user did', async () => {
    const service = services.at(-1)!;
    value(await service.controlMember({ clusterId: first.id, memberName: 'm3', action: 'stop' }));
    await service.close();

    const reopened = await openService();
    const [cluster] = value(await reopened.listLocalClusters({}));
    expect(cluster!.members.map((member) => [member.name, member.state])).toEqual([['m1', 'running'], ['m2', 'running'], ['m3', 'stopped']]);
    expect(await readEventually(reopened, first.connectionId, '/kept/across/restart')).toBe('still here');
    value(await reopened.controlMember({ clusterId: first.id, memberName: 'm3', action: 'start' }));
    await reopened.close();

    const again = await openService();
    const [restarted] = value(await again.listLocalClusters({}));
    expect(restarted!.members.map((member) => member.state)).toEqual(['running', 'running', 'running']);
  }, 180_000);

  it('starts a member that was killed or crashed, not stopped by the user, when the app starts again', async () => {
    const service = services.at(-1)!;
    value(await service.controlMember({ clusterId: first.id, memberName: 'm1', action: 'kill' }));
    const [cluster] = value(await service.listLocalClusters({}));
    const crashing = cluster!.members.find((member) => member.name === 'm2')!;
    process.kill(crashing.pid!, 'SIGKILL');
    let states = cluster!.members.map((member) => member.state);
    for (let attempt = 0; attempt < readAttemptsMax && states[1] === 'running'; attempt++) {
      await delay(100);
      states = value(await service.listLocalClusters({}))[0]!.members.map((member) => member.state);
    }
    expect(states).toEqual(['killed', 'exited', 'running']);
    expect(value(await service.listLocalClusters({}))[0]!.members[1]!.exit).toBe('SIGKILL');
    await service.close();
    const saved = JSON.parse(await readFile(path.join(dataDir, 'clusters', localClusterFileName), 'utf8')) as { clusters: { members: { stoppedByUser?: boolean }[] }[] };
    expect(saved.clusters[0]!.members.map((member) => member.stoppedByUser)).toEqual([false, false, false]);

    const reopened = await openService();
    const [restarted] = value(await reopened.listLocalClusters({}));
    expect(restarted!.members.map((member) => [member.name, member.state])).toEqual([['m1', 'running'], ['m2', 'running'], ['m3', 'running']]);
    expect(await readEventually(reopened, first.connectionId, '/kept/across/restart')).toBe('still here');
  }, 180_000);

  it('leaves a member whose port another program took while the app was closed stopped, saying which, and starts it once the port is free', async () => {
    await services.at(-1)!.close();
    const port = Number(new URL(first.members[2]!.clientUrl).port);
    const squatter = await listenOn(port);
    let reopened: AdminService;
    try {
      reopened = await openService();
      const [cluster] = value(await reopened.listLocalClusters({}));
      expect(cluster!.members.map((member) => [member.name, member.state])).toEqual([['m1', 'running'], ['m2', 'running'], ['m3', 'stopped']]);
      const log = value(await reopened.memberLogs({ clusterId: first.id, memberName: 'm3', tailLines: 5 }));
      expect(log.join('\n')).toContain(`another program is using its port ${port}`);
      const refused = await reopened.controlMember({ clusterId: first.id, memberName: 'm3', action: 'start' });
      expect(refused).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    expect(value(await reopened.controlMember({ clusterId: first.id, memberName: 'm3', action: 'start' })).state).toBe('running');
    expect(await readEventually(reopened, first.connectionId, '/kept/across/restart')).toBe('still here');
  }, 180_000);

  it('gives a restored cluster its connection again when the saved connections were lost', async () => {
    await services.at(-1)!.close();
    await rm(path.join(dataDir, 'connections.json'));
    const reopened = await openService();
    const [cluster] = value(await reopened.listLocalClusters({}));
    const connections = value(await reopened.listConnections({}));
    expect(connections.map((connection) => [connection.id, connection.name])).toEqual([[cluster!.connectionId, 'local: default']]);
    expect(await readEventually(reopened, cluster!.connectionId, '/kept/across/restart')).toBe('still here');
  }, 180_000);

  it('does not recreate the default cluster after the user destroyed every cluster', async () => {
    const service = services.at(-1)!;
    value(await service.destroyLocalCluster({ clusterId: first.id }));
    expect(existsSync(first.dataDir)).toBe(false);
    await service.close();
    const reopened = await openService();
    expect(await reopened.createFirstRunCluster()).toBeNull();
    expect(value(await reopened.listLocalClusters({}))).toEqual([]);
  }, 60_000);
});
