// etcd's Auth service: translation only; the rules are core/auth's and core/server/memberAuth.ts's.
// Every call but Authenticate runs as the caller the call's credentials name.
import type { CallContext } from './handlers.js';
import type { Permission } from '../auth/permissions.js';
import { permissionTypes, type PermissionType } from '../auth/permissions.js';
import type { EtcdBackend } from './backend.js';
import { header } from './convert.js';
import type * as admin from './proto/adminMessages.js';

interface WirePermission {
  permType?: string | number;
  key?: Uint8Array;
  range_end?: Uint8Array;
}

function permissionFromWire(perm: WirePermission | null | undefined): Permission | null {
  if (!perm) return null;
  const type = typeof perm.permType === 'number' ? permissionTypes[perm.permType] : (perm.permType as PermissionType | undefined);
  return { type: type ?? 'READ', key: Buffer.from(perm.key ?? []), rangeEnd: Buffer.from(perm.range_end ?? []) };
}

function permissionToWire(perm: Permission): admin.Permission {
  return { permType: perm.type, key: perm.key, range_end: perm.rangeEnd };
}

export function authHandlers(backend: EtcdBackend) {
  const auth = backend.auth;
  const done = (): admin.HeaderResponse => ({ header: header(backend.header()) });
  return {
    async AuthEnable(_q: object, { credentials }: CallContext): Promise<admin.HeaderResponse> {
      await auth.authEnable(credentials);
      return done();
    },
    async AuthDisable(_q: object, { credentials }: CallContext): Promise<admin.HeaderResponse> {
      await auth.authDisable(credentials);
      return done();
    },
    async AuthStatus(_q: object, { credentials }: CallContext): Promise<admin.AuthStatusResponse> {
      const status = await auth.authStatus(credentials);
      return { header: header(backend.header()), enabled: status.enabled, authRevision: String(status.revision) };
    },
    async Authenticate(q: { name: string; password: string }): Promise<admin.AuthenticateResponse> {
      const token = await auth.authenticate(q.name, q.password);
      return { header: header(backend.header()), token };
    },
    async UserAdd(q: { name: string; password: string; options: { no_password?: boolean } | null; hashedPassword: string }, { credentials }: CallContext): Promise<admin.HeaderResponse> {
      await auth.userAdd(credentials, q.name, q.password, q.options?.no_password ?? false, q.hashedPassword);
      return done();
    },
    async UserGet(q: { name: string }, { credentials }: CallContext): Promise<admin.AuthUserGetResponse> {
      return { header: header(backend.header()), roles: await auth.userGet(credentials, q.name) };
    },
    async UserList(_q: object, { credentials }: CallContext): Promise<admin.AuthUserListResponse> {
      return { header: header(backend.header()), users: await auth.userList(credentials) };
    },
    async UserDelete(q: { name: string }, { credentials }: CallContext): Promise<admin.HeaderResponse> {
      await auth.userDelete(credentials, q.name);
      return done();
    },
    async UserChangePassword(q: { name: string; password: string; hashedPassword: string }, { credentials }: CallContext): Promise<admin.HeaderResponse> {
      await auth.userChangePassword(credentials, q.name, q.password, q.hashedPassword);
      return done();
    },
    async UserGrantRole(q: { user: string; role: string }, { credentials }: CallContext): Promise<admin.HeaderResponse> {
      await auth.userGrantRole(credentials, q.user, q.role);
      return done();
    },
    async UserRevokeRole(q: { name: string; role: string }, { credentials }: CallContext): Promise<admin.HeaderResponse> {
      await auth.userRevokeRole(credentials, q.name, q.role);
      return done();
    },
    async RoleAdd(q: { name: string }, { credentials }: CallContext): Promise<admin.HeaderResponse> {
      await auth.roleAdd(credentials, q.name);
      return done();
    },
    async RoleGet(q: { role: string }, { credentials }: CallContext): Promise<admin.AuthRoleGetResponse> {
      return { header: header(backend.header()), perm: (await auth.roleGet(credentials, q.role)).map(permissionToWire) };
    },
    async RoleList(_q: object, { credentials }: CallContext): Promise<admin.AuthRoleListResponse> {
      return { header: header(backend.header()), roles: await auth.roleList(credentials) };
    },
    async RoleDelete(q: { role: string }, { credentials }: CallContext): Promise<admin.HeaderResponse> {
      await auth.roleDelete(credentials, q.role);
      return done();
    },
    async RoleGrantPermission(q: { name: string; perm: WirePermission | null }, { credentials }: CallContext): Promise<admin.HeaderResponse> {
      await auth.roleGrantPermission(credentials, q.name, permissionFromWire(q.perm));
      return done();
    },
    async RoleRevokePermission(q: { role: string; key: Uint8Array; range_end: Uint8Array }, { credentials }: CallContext): Promise<admin.HeaderResponse> {
      await auth.roleRevokePermission(credentials, q.role, Buffer.from(q.key ?? []), Buffer.from(q.range_end ?? []));
      return done();
    },
  };
}
