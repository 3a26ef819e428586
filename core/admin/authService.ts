// Authentication and authorisation over the etcd client: users with their roles, roles with their
// permissions (keys and range ends as text).
import type { EtcdClient } from '../client/etcdClient.js';
import type { Permission, RoleInfo, UserInfo } from './api.js';

/** Most users or roles listed (each costs one call to read its details). */
export const authEntriesMax = 500;

export async function listUsers(client: EtcdClient): Promise<UserInfo[]> {
  const names = (await client.auth.userList()).slice(0, authEntriesMax);
  return Promise.all(names.map(async (name) => ({ name, roles: await client.auth.userGet(name) })));
}

export async function listRoles(client: EtcdClient): Promise<RoleInfo[]> {
  const names = (await client.auth.roleList()).slice(0, authEntriesMax);
  return Promise.all(
    names.map(async (name) => ({
      name,
      permissions: (await client.auth.roleGet(name)).map(
        (permission): Permission => ({
          type: permission.kind,
          key: permission.key.toString('utf8'),
          rangeEnd: permission.rangeEnd.toString('utf8'),
        }),
      ),
    })),
  );
}

export async function grantPermission(client: EtcdClient, role: string, permission: Permission): Promise<void> {
  const range = permission.rangeEnd === '' ? {} : { rangeEnd: permission.rangeEnd };
  await client.auth.roleGrantPermission(role, permission.type, permission.key, range);
}

export async function revokePermission(client: EtcdClient, role: string, key: string, rangeEnd: string): Promise<void> {
  await client.auth.roleRevokePermission(role, key, rangeEnd === '' ? {} : { rangeEnd });
}
