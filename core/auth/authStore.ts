// etcd's auth store: users, roles, permissions, the enabled flag and the auth revision, in the
// store's LMDB environment (tables authUsers, authRoles and auth), so they are replicated through
// Raft, copied with snapshots and survive restarts; an in-memory copy answers checks. Requests
// are applied inside the store's batch transaction (core/server/applier.ts) with etcd's rules
// and errors, including which requests need the root role. Passwords arrive already hashed
// (hashing is memberAuth.ts's, off the event loop, before proposing); tokens are simpleTokens.ts's.
import { createHash } from 'node:crypto';
import { assert } from '../raft/assert.js';
import type { Backend } from '../mvcc/backend.js';
import { decodeNumberRecord, encodeNumberRecord, frame, unframe } from '../mvcc/encoding.js';
import { AuthError } from './errors.js';
import { coverageOf, isValidPermissionRange, type Permission, type PermissionType, type UserCoverage } from './permissions.js';
import type { TokenKeeper } from './simpleTokens.js';

export const rootUser = 'root';
export const rootRole = 'root';

/** Who a request runs as: a user and the auth revision its token was checked at (0: nobody). */
export interface AuthInfo {
  readonly user: string;
  readonly revision: number;
}

export interface User {
  readonly name: string;
  /** bcrypt hash; null for a user added with no_password. */
  readonly passwordHash: string | null;
  /** Sorted. */
  readonly roles: readonly string[];
}

export interface Role {
  readonly name: string;
  /** Sorted by key. */
  readonly permissions: readonly Permission[];
}

/** The auth requests that go through Raft; what each returns is documented on `apply`. */
export type AuthRequest =
  | { readonly op: 'authEnable' }
  | { readonly op: 'authDisable' }
  | { readonly op: 'authStatus' }
  | { readonly op: 'authenticate'; readonly name: string; readonly tokenPrefix: string }
  | { readonly op: 'userAdd'; readonly name: string; readonly passwordHash: string | null }
  | { readonly op: 'userDelete'; readonly name: string }
  | { readonly op: 'userChangePassword'; readonly name: string; readonly passwordHash: string }
  | { readonly op: 'userGrantRole'; readonly name: string; readonly role: string }
  | { readonly op: 'userRevokeRole'; readonly name: string; readonly role: string }
  | { readonly op: 'userGet'; readonly name: string }
  | { readonly op: 'userList' }
  | { readonly op: 'roleAdd'; readonly name: string }
  | { readonly op: 'roleDelete'; readonly name: string }
  | { readonly op: 'roleGet'; readonly name: string }
  | { readonly op: 'roleList' }
  | { readonly op: 'roleGrantPermission'; readonly name: string; readonly permission: Permission | null }
  | { readonly op: 'roleRevokePermission'; readonly name: string; readonly key: Buffer; readonly rangeEnd: Buffer };

export type AuthOp = AuthRequest['op'];

/** etcd's needAdminPermission: the requests only a user with the root role may make (once enabled). */
const adminOps: ReadonlySet<AuthOp> = new Set<AuthOp>([
  'authEnable', 'authDisable', 'authStatus', 'userAdd', 'userDelete', 'userChangePassword', 'userGrantRole',
  'userRevokeRole', 'roleAdd', 'roleGrantPermission', 'roleRevokePermission', 'roleDelete', 'userList', 'roleList',
]);

const keys = { enabled: Buffer.from('enabled'), revision: Buffer.from('revision') };

/**
 * The table key of a user or role: the SHA-256 of its name. Names can be as long as a request
 * allows and LMDB keys cannot (etcd 3.4 itself stops on a name over bbolt's 32 KiB key limit);
 * records carry their names, and lists are sorted by name, so the key order does not matter.
 */
function recordKey(name: string): Buffer {
  return createHash('sha256').update(name, 'utf8').digest();
}

function encodeJson(value: unknown): Buffer {
  return frame(Buffer.from(JSON.stringify(value), 'utf8'));
}

function decodeJson<T>(bytes: Uint8Array): T {
  return JSON.parse(unframe(bytes).toString('utf8')) as T;
}

interface StoredRole {
  name: string;
  permissions: { type: PermissionType; key: string; rangeEnd: string }[];
}

function encodeRole(role: Role): Buffer {
  const stored: StoredRole = {
    name: role.name,
    permissions: role.permissions.map((p) => ({ type: p.type, key: p.key.toString('base64'), rangeEnd: p.rangeEnd.toString('base64') })),
  };
  return encodeJson(stored);
}

function decodeRole(bytes: Uint8Array): Role {
  const stored = decodeJson<StoredRole>(bytes);
  return {
    name: stored.name,
    permissions: stored.permissions.map((p) => ({ type: p.type, key: Buffer.from(p.key, 'base64'), rangeEnd: Buffer.from(p.rangeEnd, 'base64') })),
  };
}

function byName(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export class AuthStore {
  private users = new Map<string, User>();
  private roles = new Map<string, Role>();
  private enabledFlag = false;
  private revisionNumber = 1;
  private coverage = new Map<string, UserCoverage>();

  constructor(
    private backend: Backend,
    private readonly tokens: TokenKeeper,
  ) {
    this.reload();
  }

  /** Reads everything again from the tables (at open, after an aborted batch, after a snapshot). */
  reload(): void {
    this.users = new Map();
    this.roles = new Map();
    for (const { value } of this.backend.table('authUsers').getRange({})) {
      const user = decodeJson<User>(value);
      this.users.set(user.name, user);
    }
    for (const { value } of this.backend.table('authRoles').getRange({})) {
      const role = decodeRole(value);
      this.roles.set(role.name, role);
    }
    const meta = this.backend.table('auth');
    const enabled = meta.get(keys.enabled);
    const revision = meta.get(keys.revision);
    this.enabledFlag = enabled !== undefined && unframe(enabled)[0] === 1;
    this.revisionNumber = revision === undefined ? 1 : decodeNumberRecord(revision);
    this.coverage.clear();
    if (!this.enabledFlag) this.tokens.clear();
  }

  /** Uses another store's backend (an installed snapshot) and reloads. */
  rebind(backend: Backend): void {
    this.backend = backend;
    this.reload();
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }

  get revision(): number {
    return this.revisionNumber;
  }

  user(name: string): User | undefined {
    return this.users.get(name);
  }

  // ---- Checks ------------------------------------------------------------------------------------

  /** etcd's IsAdminPermitted. Throws USER_EMPTY, USER_NOT_FOUND or PERMISSION_DENIED. */
  checkAdmin(info: AuthInfo | null): void {
    if (!this.enabledFlag) return;
    if (info === null || info.user === '') throw new AuthError('USER_EMPTY');
    const user = this.users.get(info.user);
    if (!user) throw new AuthError('USER_NOT_FOUND');
    if (!hasRootRole(user)) throw new AuthError('PERMISSION_DENIED');
  }

  /** Whether `info` names a user with the root role (or auth is off). Never throws. */
  isAdmin(info: AuthInfo | null): boolean {
    try {
      this.checkAdmin(info);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * etcd's isOpPermitted for a read (READ) or write (WRITE) of a key or range. Throws USER_EMPTY
   * (no user), AUTH_OLD_REVISION (the token was checked before the last auth change) or
   * PERMISSION_DENIED.
   */
  checkKeys(info: AuthInfo | null, key: Uint8Array, rangeEnd: Uint8Array | undefined, access: 'READ' | 'WRITE'): void {
    if (!this.enabledFlag) return;
    if (info === null || info.revision === 0) throw new AuthError('USER_EMPTY');
    if (info.revision < this.revisionNumber) throw new AuthError('AUTH_OLD_REVISION');
    const user = this.users.get(info.user);
    if (!user) throw new AuthError('PERMISSION_DENIED');
    if (hasRootRole(user)) return;
    const coverage = this.coverageOf(user);
    if (!(access === 'READ' ? coverage.read : coverage.write).covers(key, rangeEnd)) throw new AuthError('PERMISSION_DENIED');
  }

  private coverageOf(user: User): UserCoverage {
    let coverage = this.coverage.get(user.name);
    if (!coverage) {
      coverage = coverageOf(user.roles.flatMap((name) => this.roles.get(name)?.permissions ?? []));
      this.coverage.set(user.name, coverage);
    }
    return coverage;
  }

  // ---- Applying ----------------------------------------------------------------------------------

  /**
   * Applies one auth request inside the store's write transaction, as `info` (null: the member
   * itself). Results: authStatus { enabled, revision }; authenticate the token; userGet the roles;
   * userList/roleList the names; roleGet the permissions; everything else null. Throws AuthError
   * with etcd's error for a refused request, having written nothing.
   */
  apply(request: AuthRequest, info: AuthInfo | null, index: number): unknown {
    if (info !== null && adminOps.has(request.op)) this.checkAdmin(info);
    switch (request.op) {
      case 'authEnable': return this.enable();
      case 'authDisable': return this.disable();
      case 'authStatus': return { enabled: this.enabledFlag, revision: this.revisionNumber };
      case 'authenticate': return this.authenticate(request.name, request.tokenPrefix, index);
      case 'userAdd': return this.userAdd(request.name, request.passwordHash);
      case 'userDelete': return this.userDelete(request.name);
      case 'userChangePassword': return this.userChangePassword(request.name, request.passwordHash);
      case 'userGrantRole': return this.userGrantRole(request.name, request.role);
      case 'userRevokeRole': return this.userRevokeRole(request.name, request.role);
      case 'userGet': {
        if (info !== null && request.name !== info.user) this.checkAdmin(info);
        const user = this.users.get(request.name);
        if (!user) throw new AuthError('USER_NOT_FOUND');
        return [...user.roles];
      }
      case 'userList': return [...this.users.keys()].sort(byName);
      case 'roleAdd': return this.roleAdd(request.name);
      case 'roleDelete': return this.roleDelete(request.name);
      case 'roleGet': {
        if (info !== null && !this.users.get(info.user)?.roles.includes(request.name)) this.checkAdmin(info);
        const role = this.roles.get(request.name);
        if (!role) throw new AuthError('ROLE_NOT_FOUND');
        return role.permissions;
      }
      case 'roleList': return [...this.roles.keys()].sort(byName);
      case 'roleGrantPermission': return this.roleGrantPermission(request.name, request.permission);
      case 'roleRevokePermission': return this.roleRevokePermission(request.name, request.key, request.rangeEnd);
    }
  }

  private enable(): null {
    if (this.enabledFlag) return null;
    const root = this.users.get(rootUser);
    if (!root) throw new AuthError('ROOT_USER_NOT_EXIST');
    if (!hasRootRole(root)) throw new AuthError('ROOT_ROLE_NOT_EXIST');
    this.backend.table('auth').putSync(keys.enabled, frame(Buffer.from([1])));
    this.enabledFlag = true;
    this.coverage.clear();
    return null;
  }

  private disable(): null {
    if (!this.enabledFlag) return null;
    this.backend.table('auth').putSync(keys.enabled, frame(Buffer.from([0])));
    this.enabledFlag = false;
    this.commitRevision();
    this.tokens.clear();
    return null;
  }

  private authenticate(name: string, tokenPrefix: string, index: number): string {
    if (!this.enabledFlag) throw new AuthError('AUTH_NOT_ENABLED');
    const user = this.users.get(name);
    if (!user || user.passwordHash === null) throw new AuthError('AUTH_FAILED');
    return this.tokens.assign(name, this.revisionNumber, tokenPrefix, index);
  }

  private userAdd(name: string, passwordHash: string | null): null {
    if (name === '') throw new AuthError('USER_EMPTY');
    if (this.users.has(name)) throw new AuthError('USER_ALREADY_EXIST');
    this.putUser({ name, passwordHash, roles: [] });
    return null;
  }

  private userDelete(name: string): null {
    if (this.enabledFlag && name === rootUser) throw new AuthError('INVALID_AUTH_MGMT');
    if (!this.users.has(name)) throw new AuthError('USER_NOT_FOUND');
    this.backend.table('authUsers').removeSync(recordKey(name));
    this.users.delete(name);
    this.commitRevision();
    this.tokens.invalidateUser(name);
    return null;
  }

  private userChangePassword(name: string, passwordHash: string): null {
    const user = this.users.get(name);
    if (!user) throw new AuthError('USER_NOT_FOUND');
    this.putUser({ ...user, passwordHash });
    this.tokens.invalidateUser(name);
    return null;
  }

  private userGrantRole(name: string, role: string): null {
    const user = this.users.get(name);
    if (!user) throw new AuthError('USER_NOT_FOUND');
    if (role !== rootRole && !this.roles.has(role)) throw new AuthError('ROLE_NOT_FOUND');
    if (user.roles.includes(role)) return null;
    this.putUser({ ...user, roles: [...user.roles, role].sort() });
    return null;
  }

  private userRevokeRole(name: string, role: string): null {
    if (this.enabledFlag && name === rootUser && role === rootRole) throw new AuthError('INVALID_AUTH_MGMT');
    const user = this.users.get(name);
    if (!user) throw new AuthError('USER_NOT_FOUND');
    if (!user.roles.includes(role)) throw new AuthError('ROLE_NOT_GRANTED');
    this.putUser({ ...user, roles: user.roles.filter((r) => r !== role) });
    return null;
  }

  private roleAdd(name: string): null {
    if (name === '') throw new AuthError('ROLE_EMPTY');
    if (this.roles.has(name)) throw new AuthError('ROLE_ALREADY_EXIST');
    this.putRole({ name, permissions: [] });
    return null;
  }

  private roleDelete(name: string): null {
    if (this.enabledFlag && name === rootRole) throw new AuthError('INVALID_AUTH_MGMT');
    if (!this.roles.has(name)) throw new AuthError('ROLE_NOT_FOUND');
    this.backend.table('authRoles').removeSync(recordKey(name));
    this.roles.delete(name);
    for (const user of [...this.users.values()]) {
      if (user.roles.includes(name)) this.writeUser({ ...user, roles: user.roles.filter((r) => r !== name) });
    }
    this.commitRevision();
    return null;
  }

  private roleGrantPermission(name: string, permission: Permission | null): null {
    if (permission === null) throw new AuthError('PERMISSION_NOT_GIVEN');
    if (!isValidPermissionRange(permission.key, permission.rangeEnd)) throw new AuthError('INVALID_AUTH_MGMT');
    const role = this.roles.get(name);
    if (!role) throw new AuthError('ROLE_NOT_FOUND');
    const same = (p: Permission): boolean => p.key.equals(permission.key) && p.rangeEnd.equals(permission.rangeEnd);
    const permissions = role.permissions.some(same)
      ? role.permissions.map((p) => (same(p) ? { ...p, type: permission.type } : p))
      : [...role.permissions, permission].sort((a, b) => Buffer.compare(a.key, b.key));
    this.putRole({ name, permissions });
    return null;
  }

  private roleRevokePermission(name: string, key: Buffer, rangeEnd: Buffer): null {
    const role = this.roles.get(name);
    if (!role) throw new AuthError('ROLE_NOT_FOUND');
    const permissions = role.permissions.filter((p) => !p.key.equals(key) || !p.rangeEnd.equals(rangeEnd));
    if (permissions.length === role.permissions.length) throw new AuthError('PERMISSION_NOT_GRANTED');
    this.putRole({ name, permissions });
    return null;
  }

  private writeUser(user: User): void {
    this.backend.table('authUsers').putSync(recordKey(user.name), encodeJson(user));
    this.users.set(user.name, user);
  }

  /** Writes a user and moves the revision on (every user change does, in etcd). */
  private putUser(user: User): void {
    this.writeUser(user);
    this.commitRevision();
  }

  private putRole(role: Role): void {
    this.backend.table('authRoles').putSync(recordKey(role.name), encodeRole(role));
    this.roles.set(role.name, role);
    this.commitRevision();
  }

  private commitRevision(): void {
    this.revisionNumber += 1;
    this.backend.table('auth').putSync(keys.revision, encodeNumberRecord(this.revisionNumber));
    this.coverage.clear();
  }
}

/** Whether a user holds the root role, which may do anything. */
export function hasRootRole(user: User): boolean {
  assert(Array.isArray(user.roles), 'a user record lists its roles');
  return user.roles.includes(rootRole);
}
