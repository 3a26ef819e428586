// The console's Auth page calls, through the AdminService, against a Rafter member (the page once
// worked only against real etcd): users, roles and permissions, enabling auth as root, what a
// connection of a user without the root role sees, and disabling auth again.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../core/admin/api.js';
import { AdminService } from '../../core/admin/adminService.js';
import { RafterCluster } from '../support/rafterCluster.js';
import { value } from '../support/adminResults.js';

let rafter: RafterCluster;
let service: AdminService;
let tempDir: string;
let anonymous: string;
let root: string;

/** The error of a failed call, as code and message. */
function failure(result: Result<unknown>): { code: string; message: string } {
  if (result.ok) throw new Error('the call succeeded');
  return { code: result.error.code, message: result.error.message };
}

beforeAll(async () => {
  rafter = await RafterCluster.start({ members: 1 });
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-admin-auth-'));
  service = new AdminService({ connectionsFile: path.join(tempDir, 'connections.json') });
  await service.open();
  anonymous = value(await service.addConnection({ config: { name: 'rafter', endpoints: rafter.endpoints } })).id;
}, 120_000);

afterAll(async () => {
  await service?.close();
  await rafter?.stop();
  await rm(tempDir, { recursive: true, force: true });
});

describe('the Auth page against Rafter', () => {
  it('manages users, roles and permissions while auth is off', async () => {
    const connectionId = anonymous;
    expect(value(await service.authStatus({ connectionId }))).toEqual({ enabled: false });
    value(await service.addRole({ connectionId, name: 'reader' }));
    value(await service.grantPermission({ connectionId, role: 'reader', permission: { type: 'read', key: '/app/', rangeEnd: '/app0' } }));
    value(await service.grantPermission({ connectionId, role: 'reader', permission: { type: 'readwrite', key: '/own', rangeEnd: '' } }));
    value(await service.addUser({ connectionId, name: 'alice', password: 'secret' }));
    value(await service.grantRole({ connectionId, user: 'alice', role: 'reader' }));
    expect(value(await service.listUsers({ connectionId }))).toEqual([{ name: 'alice', roles: ['reader'] }]);
    expect(value(await service.listRoles({ connectionId }))).toEqual([
      { name: 'reader', permissions: [{ type: 'read', key: '/app/', rangeEnd: '/app0' }, { type: 'readwrite', key: '/own', rangeEnd: '' }] },
    ]);
    const duplicate = await service.addUser({ connectionId, name: 'alice', password: 'x' });
    expect(failure(duplicate).code).toBe('failed_precondition');
    expect(failure(duplicate).message).toContain('User name already exists');
  });

  it('refuses to enable auth without root, then enables it as root', async () => {
    const refused = await service.setAuthEnabled({ connectionId: anonymous, enabled: true });
    expect(failure(refused).code).toBe('failed_precondition');
    expect(failure(refused).message).toContain('Root user does not exist');
    value(await service.addUser({ connectionId: anonymous, name: 'root', password: 'rootpw' }));
    value(await service.grantRole({ connectionId: anonymous, user: 'root', role: 'root' }));
    root = value(await service.addConnection({ config: { name: 'rafter-root', endpoints: rafter.endpoints, username: 'root', password: 'rootpw' } })).id;
    value(await service.setAuthEnabled({ connectionId: root, enabled: true }));
    expect(value(await service.authStatus({ connectionId: root }))).toEqual({ enabled: true });
    expect(value(await service.listUsers({ connectionId: root })).map((u) => u.name)).toEqual(['alice', 'root']);
  });

  it('shows a user without the root role that auth is on, and refuses it the user list', async () => {
    const alice = value(await service.addConnection({ config: { name: 'rafter-alice', endpoints: rafter.endpoints, username: 'alice', password: 'secret' } })).id;
    expect(value(await service.authStatus({ connectionId: alice }))).toEqual({ enabled: true });
    const users = await service.listUsers({ connectionId: alice });
    expect(failure(users).code).toBe('permission_denied');
    expect(failure(users).message).toContain('Permission denied');
    expect(value(await service.authStatus({ connectionId: anonymous }))).toEqual({ enabled: true });
    const anonymousUsers = await service.listUsers({ connectionId: anonymous });
    expect(failure(anonymousUsers).code).toBe('invalid_argument');
    expect(failure(anonymousUsers).message).toContain('User name is empty');
  });

  it('disables auth as root', async () => {
    value(await service.setAuthEnabled({ connectionId: root, enabled: false }));
    expect(value(await service.authStatus({ connectionId: anonymous }))).toEqual({ enabled: false });
  });
});
