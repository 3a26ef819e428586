// The Auth service: enabling authentication, its status, users (add, get, list, delete, password,
// roles) and roles (add, get, list, delete, permissions on keys and ranges). Obtaining and
// refreshing the caller's own token is connection.ts's job.
import { status as grpcStatus } from '@grpc/grpc-js';
import type {
  AuthRoleGetResponse,
  AuthRoleListResponse,
  AuthStatusResponse,
  AuthUserGetResponse,
  AuthUserListResponse,
  HeaderResponse,
  PermissionType,
} from '../api/proto/adminMessages.js';
import { toBuffer } from './bytes.js';
import type { Bytes } from './bytes.js';
import type { CallOptions, Connection } from './connection.js';
import { EtcdError } from './etcdError.js';
import { toHeader } from './header.js';
import type { ResponseHeader } from './header.js';
import { selectorRangeEnd } from './kvRequests.js';
import type { RangeSelector } from './kvRequests.js';

/** Kind of access a permission grants. */
export type PermissionKind = 'read' | 'write' | 'readwrite';

const permissionTypes: Record<PermissionKind, PermissionType> = { read: 'READ', write: 'WRITE', readwrite: 'READWRITE' };
const permissionKinds: Record<PermissionType, PermissionKind> = { READ: 'read', WRITE: 'write', READWRITE: 'readwrite' };

export interface Permission {
  readonly kind: PermissionKind;
  readonly key: Buffer;
  /** Empty for a single key; "\0" with key "\0" for every key. */
  readonly rangeEnd: Buffer;
}

export interface AuthStatus {
  readonly enabled: boolean;
  /** Revision of the auth store; undefined from servers without AuthStatus (etcd 3.4). */
  readonly authRevision: string | undefined;
}

const authNotEnabledMessage = 'etcdserver: authentication is not enabled';

/** Auth calls. Errors are EtcdError with etcd's code and message. */
export class AuthClient {
  constructor(private readonly connection: Connection) {}

  /** Enables authentication; the user root with role root must exist. */
  authEnable(options: CallOptions = {}): Promise<ResponseHeader> {
    return this.headerCall('AuthEnable', {}, options);
  }

  authDisable(options: CallOptions = {}): Promise<ResponseHeader> {
    return this.headerCall('AuthDisable', {}, options);
  }

  /**
   * Whether authentication is enabled. Servers without AuthStatus (etcd 3.4) are asked through
   * Authenticate with an empty name, which names the state in its error. Servers with it (etcd
   * 3.5, Rafter) answer only root once auth is on: a refusal means it is on.
   */
  async authStatus(options: CallOptions = {}): Promise<AuthStatus> {
    try {
      const wire = await this.connection.unary<AuthStatusResponse>('etcdserverpb.Auth', 'AuthStatus', {}, {
        ...options,
        idempotent: true,
      });
      return { enabled: wire.enabled, authRevision: wire.authRevision };
    } catch (error) {
      if (error instanceof EtcdError && (error.code === grpcStatus.PERMISSION_DENIED || error.is('etcdserver: user name is empty'))) return { enabled: true, authRevision: undefined };
      if (!(error instanceof EtcdError) || error.code !== grpcStatus.UNIMPLEMENTED) throw error;
    }
    try {
      await this.connection.unary('etcdserverpb.Auth', 'Authenticate', { name: '', password: '' }, {
        ...options,
        idempotent: true,
        anonymous: true,
      });
      return { enabled: true, authRevision: undefined };
    } catch (error) {
      if (error instanceof EtcdError && error.is(authNotEnabledMessage)) return { enabled: false, authRevision: undefined };
      if (error instanceof EtcdError && error.code === grpcStatus.INVALID_ARGUMENT) return { enabled: true, authRevision: undefined };
      throw error;
    }
  }

  /** Adds a user with a password, or one that can only use certificates (`noPassword`). */
  userAdd(name: string, password: string | { noPassword: true }, options: CallOptions = {}): Promise<ResponseHeader> {
    const request =
      typeof password === 'string' ? { name, password } : { name, password: '', options: { no_password: true } };
    return this.headerCall('UserAdd', request, options);
  }

  /** Roles granted to a user; FAILED_PRECONDITION "etcdserver: user name not found" if none. */
  async userGet(name: string, options: CallOptions = {}): Promise<string[]> {
    const wire = await this.connection.unary<AuthUserGetResponse>('etcdserverpb.Auth', 'UserGet', { name }, {
      ...options,
      idempotent: true,
    });
    return wire.roles;
  }

  async userList(options: CallOptions = {}): Promise<string[]> {
    const wire = await this.connection.unary<AuthUserListResponse>('etcdserverpb.Auth', 'UserList', {}, {
      ...options,
      idempotent: true,
    });
    return wire.users;
  }

  userDelete(name: string, options: CallOptions = {}): Promise<ResponseHeader> {
    return this.headerCall('UserDelete', { name }, options);
  }

  userChangePassword(name: string, password: string, options: CallOptions = {}): Promise<ResponseHeader> {
    return this.headerCall('UserChangePassword', { name, password }, options);
  }

  userGrantRole(user: string, role: string, options: CallOptions = {}): Promise<ResponseHeader> {
    return this.headerCall('UserGrantRole', { user, role }, options);
  }

  userRevokeRole(name: string, role: string, options: CallOptions = {}): Promise<ResponseHeader> {
    return this.headerCall('UserRevokeRole', { name, role }, options);
  }

  roleAdd(name: string, options: CallOptions = {}): Promise<ResponseHeader> {
    return this.headerCall('RoleAdd', { name }, options);
  }

  /** The permissions of a role. */
  async roleGet(role: string, options: CallOptions = {}): Promise<Permission[]> {
    const wire = await this.connection.unary<AuthRoleGetResponse>('etcdserverpb.Auth', 'RoleGet', { role }, {
      ...options,
      idempotent: true,
    });
    return wire.perm.map((perm) => ({ kind: permissionKinds[perm.permType], key: perm.key, rangeEnd: perm.range_end }));
  }

  async roleList(options: CallOptions = {}): Promise<string[]> {
    const wire = await this.connection.unary<AuthRoleListResponse>('etcdserverpb.Auth', 'RoleList', {}, {
      ...options,
      idempotent: true,
    });
    return wire.roles;
  }

  roleDelete(role: string, options: CallOptions = {}): Promise<ResponseHeader> {
    return this.headerCall('RoleDelete', { role }, options);
  }

  /** Grants `kind` access on a key, a prefix, a range or every key from `key` on. */
  roleGrantPermission(
    role: string,
    kind: PermissionKind,
    key: Bytes,
    range: RangeSelector & CallOptions = {},
  ): Promise<ResponseHeader> {
    const rangeEnd = selectorRangeEnd(key, range);
    const perm = { permType: permissionTypes[kind], key: toBuffer(key), ...(rangeEnd ? { range_end: rangeEnd } : {}) };
    return this.headerCall('RoleGrantPermission', { name: role, perm }, range);
  }

  /** Revokes the permission granted on exactly this key or range. */
  roleRevokePermission(role: string, key: Bytes, range: RangeSelector & CallOptions = {}): Promise<ResponseHeader> {
    const rangeEnd = selectorRangeEnd(key, range);
    const request = { role, key: toBuffer(key), ...(rangeEnd ? { range_end: rangeEnd } : {}) };
    return this.headerCall('RoleRevokePermission', request, range);
  }

  private async headerCall(method: string, request: object, options: CallOptions): Promise<ResponseHeader> {
    const wire = await this.connection.unary<HeaderResponse>('etcdserverpb.Auth', method, request, {
      ...options,
      idempotent: false,
    });
    return toHeader(wire.header);
  }
}
