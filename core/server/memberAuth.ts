// A member's side of authentication: turning a call's credentials into a user (a simple token,
// waiting until this member has applied the entry that made it; or a verified certificate's
// common name under --client-cert-auth), the checks etcd's server makes before serving reads,
// leases, membership and maintenance calls, and the Auth service's calls, which hash passwords
// in the worker (passwords.ts) before proposing, so a password is never in the log, a snapshot
// or a log line. Writes are checked again where they apply (applier.ts, core/auth).
import type { AuthInfo, AuthRequest } from '../auth/authStore.js';
import { AuthStore } from '../auth/authStore.js';
import type { Credentials } from '../auth/credentials.js';
import { AuthError } from '../auth/errors.js';
import { PasswordHasher } from '../auth/passwords.js';
import type { Permission } from '../auth/permissions.js';
import { checkTxnPermitted } from '../auth/requestPermissions.js';
import { JwtTokens, type JwtOptions } from '../auth/jwtTokens.js';
import { SimpleTokens, newTokenPrefix, tokenIndex } from '../auth/simpleTokens.js';
import type { Lessor } from '../lease/lessor.js';
import type { Backend } from '../mvcc/backend.js';
import type { TxnRequest } from '../mvcc/types.js';
import type { InternalRequest } from './internalRequest.js';

/** Times Authenticate retries when the auth store changed while the password was checked. */
const authenticateAttemptsMax = 5;

export interface MemberAuthHost {
  /** Proposes a request as `caller` and resolves with its applied result. */
  propose<T>(request: InternalRequest, caller: AuthInfo | null): Promise<T>;
  /** Waits for a linearizable read point. */
  linearizable(): Promise<void>;
  /** Resolves true once this member has applied `index`, false after `timeoutMs`. */
  waitApplied(index: number, timeoutMs: number): Promise<boolean>;
  lessor(): Lessor;
}

export interface MemberAuthOptions {
  readonly bcryptCost: number;
  /** Simple tokens' lifetime after their last use. */
  readonly tokenTtlSeconds: number;
  /** JWT tokens instead of simple ones (--auth-token jwt,…). */
  readonly jwt: JwtOptions | null;
  /** --client-cert-auth: a verified certificate's common name names the user of a call without a token. */
  readonly clientCertAuth: boolean;
  readonly requestTimeoutMs: number;
}

/** The caller of a client request as its Raft entry records it (etcd's empty header when unknown). */
const nobody: AuthInfo = { user: '', revision: 0 };

export class MemberAuth {
  readonly store: AuthStore;
  private readonly tokens: SimpleTokens;
  private readonly jwt: JwtTokens | null;
  private readonly hasher: PasswordHasher;

  constructor(
    backend: Backend,
    private readonly host: MemberAuthHost,
    private readonly options: MemberAuthOptions,
  ) {
    this.tokens = new SimpleTokens(options.tokenTtlSeconds * 1000);
    this.jwt = options.jwt === null ? null : new JwtTokens(options.jwt);
    this.store = new AuthStore(backend, this.jwt ?? this.tokens);
    this.hasher = new PasswordHasher(options.bcryptCost);
  }

  // ---- Who is calling ----------------------------------------------------------------------------

  /**
   * etcd's AuthInfoFromCtx: null when auth is off or the call has no credentials; throws
   * INVALID_AUTH_TOKEN for a token this member does not hold (unknown, expired, or dropped by a
   * password change, a user deletion or auth disable).
   */
  async resolve(credentials: Credentials): Promise<AuthInfo | null> {
    if (!this.store.enabled) return null;
    if (credentials.token !== null && this.jwt !== null) {
      // A JWT carries the revision it was issued at: the checks refuse it once auth has changed.
      const claims = this.jwt.info(credentials.token);
      if (claims === null) throw new AuthError('INVALID_AUTH_TOKEN');
      return claims;
    }
    if (credentials.token !== null) {
      const index = tokenIndex(credentials.token);
      if (index === null) throw new AuthError('INVALID_AUTH_TOKEN');
      if (!(await this.host.waitApplied(index, this.options.requestTimeoutMs))) throw new AuthError('INVALID_AUTH_TOKEN');
      const user = this.tokens.user(credentials.token);
      if (user === null) throw new AuthError('INVALID_AUTH_TOKEN');
      return { user, revision: this.store.revision };
    }
    if (this.options.clientCertAuth && credentials.commonName !== null) return { user: credentials.commonName, revision: this.store.revision };
    return null;
  }

  /** Who a client request runs as, for its Raft entry. */
  async caller(credentials: Credentials): Promise<AuthInfo> {
    return (await this.resolve(credentials)) ?? nobody;
  }

  /**
   * `caller`'s answer when it needs no waiting (auth off: every request runs as nobody), else
   * null. Writes take it first, sparing a promise per request in the common case.
   */
  callerAtOnce(): AuthInfo | null {
    return this.store.enabled ? null : nobody;
  }

  /** etcd's requireAuthInfo: with auth on, the call must name a user. */
  async requireUser(credentials: Credentials): Promise<AuthInfo | null> {
    const info = await this.resolve(credentials);
    if (this.store.enabled && info === null) throw new AuthError('USER_EMPTY');
    return info;
  }

  /**
   * etcd's IsAdminPermitted on the caller (membership changes, maintenance). `unmapped`: the
   * refusal carries the auth package's text with code UNKNOWN, as etcd 3.4's Defragment, Hash,
   * HashKV and Snapshot answer.
   */
  async requireAdmin(credentials: Credentials, unmapped = false): Promise<void> {
    const info = await this.resolve(credentials);
    try {
      this.store.checkAdmin(info);
    } catch (error) {
      if (unmapped && error instanceof AuthError) throw new AuthError(error.code, true);
      throw error;
    }
  }

  /**
   * etcd's doSerialize: checks a read, serves it, and refuses the answer if the auth store
   * changed meanwhile (the check may no longer hold).
   */
  async read<T>(credentials: Credentials, check: (info: AuthInfo | null) => void, serve: () => T | Promise<T>): Promise<T> {
    const info = await this.resolve(credentials);
    check(info ?? nobody);
    const result = await serve();
    if (info !== null && info.revision !== this.store.revision) throw new AuthError('AUTH_OLD_REVISION');
    return result;
  }

  checkRange(info: AuthInfo | null, key: Uint8Array, rangeEnd: Uint8Array | undefined): void {
    this.store.checkKeys(info, key, rangeEnd, 'READ');
  }

  checkTxn(info: AuthInfo | null, txn: TxnRequest): void {
    if (this.store.enabled) checkTxnPermitted(this.store, this.host.lessor(), info, txn);
  }

  /**
   * etcd's checks on leases that do not go through Raft: a keep-alive needs write on every key of
   * the lease, a time-to-live with keys and the lease list need read on them (root needs nothing).
   */
  async checkLeaseKeys(credentials: Credentials, leaseIds: readonly bigint[], access: 'READ' | 'WRITE'): Promise<void> {
    const info = await this.requireUser(credentials);
    if (!this.store.enabled || this.store.isAdmin(info)) return;
    const lessor = this.host.lessor();
    for (const id of leaseIds) {
      if (!lessor.exists(id)) continue;
      for (const key of lessor.timeToLive(id, true).keys) this.store.checkKeys(info, key, undefined, access);
    }
  }

  // ---- The Auth service --------------------------------------------------------------------------

  private async propose<T>(credentials: Credentials, auth: AuthRequest): Promise<T> {
    return this.host.propose<T>({ kind: 'auth', auth }, await this.caller(credentials));
  }

  /**
   * etcd's Authenticate: the password is checked here (in the worker), then the token is made by
   * a Raft entry so every member holds it; if the auth store changed meanwhile, it starts over.
   */
  async authenticate(name: string, password: string): Promise<string> {
    await this.host.linearizable();
    for (let attempt = 1; ; attempt++) {
      const checkedRevision = await this.checkPassword(name, password);
      const token = await this.host.propose<string>({ kind: 'auth', auth: { op: 'authenticate', name, tokenPrefix: newTokenPrefix() } }, null);
      if (checkedRevision === this.store.revision || attempt >= authenticateAttemptsMax) return token;
    }
  }

  /** etcd's CheckPassword; resolves with the auth revision the check was made at. */
  private async checkPassword(name: string, password: string): Promise<number> {
    if (!this.store.enabled) throw new AuthError('AUTH_NOT_ENABLED');
    const user = this.store.user(name);
    if (!user) throw new AuthError('AUTH_FAILED');
    if (user.passwordHash === null) throw new AuthError('NO_PASSWORD_USER');
    const revision = this.store.revision;
    if (!(await this.hasher.compare(password, user.passwordHash))) throw new AuthError('AUTH_FAILED');
    return revision;
  }

  /**
   * UserAdd. The password is hashed before proposing (as etcd 3.5 does), unless the user has no
   * password or the request carries a bcrypt hash already (etcd 3.5's hashedPassword).
   */
  async userAdd(credentials: Credentials, name: string, password: string, noPassword: boolean, hashedPassword: string): Promise<void> {
    if (name === '') throw new AuthError('USER_EMPTY');
    const passwordHash = noPassword ? null : hashedPassword !== '' ? hashedPassword : await this.hasher.hash(password);
    await this.propose(credentials, { op: 'userAdd', name, passwordHash });
  }

  async userChangePassword(credentials: Credentials, name: string, password: string, hashedPassword: string): Promise<void> {
    const passwordHash = hashedPassword !== '' ? hashedPassword : await this.hasher.hash(password);
    await this.propose(credentials, { op: 'userChangePassword', name, passwordHash });
  }

  authEnable(credentials: Credentials): Promise<null> {
    return this.propose(credentials, { op: 'authEnable' });
  }

  authDisable(credentials: Credentials): Promise<null> {
    return this.propose(credentials, { op: 'authDisable' });
  }

  authStatus(credentials: Credentials): Promise<{ enabled: boolean; revision: number }> {
    return this.propose(credentials, { op: 'authStatus' });
  }

  userDelete(credentials: Credentials, name: string): Promise<null> {
    return this.propose(credentials, { op: 'userDelete', name });
  }

  userGrantRole(credentials: Credentials, name: string, role: string): Promise<null> {
    return this.propose(credentials, { op: 'userGrantRole', name, role });
  }

  userRevokeRole(credentials: Credentials, name: string, role: string): Promise<null> {
    return this.propose(credentials, { op: 'userRevokeRole', name, role });
  }

  userGet(credentials: Credentials, name: string): Promise<string[]> {
    return this.propose(credentials, { op: 'userGet', name });
  }

  userList(credentials: Credentials): Promise<string[]> {
    return this.propose(credentials, { op: 'userList' });
  }

  roleAdd(credentials: Credentials, name: string): Promise<null> {
    return this.propose(credentials, { op: 'roleAdd', name });
  }

  roleDelete(credentials: Credentials, name: string): Promise<null> {
    return this.propose(credentials, { op: 'roleDelete', name });
  }

  roleGet(credentials: Credentials, name: string): Promise<Permission[]> {
    return this.propose(credentials, { op: 'roleGet', name });
  }

  roleList(credentials: Credentials): Promise<string[]> {
    return this.propose(credentials, { op: 'roleList' });
  }

  roleGrantPermission(credentials: Credentials, name: string, permission: Permission | null): Promise<null> {
    return this.propose(credentials, { op: 'roleGrantPermission', name, permission });
  }

  roleRevokePermission(credentials: Credentials, name: string, key: Buffer, rangeEnd: Buffer): Promise<null> {
    return this.propose(credentials, { op: 'roleRevokePermission', name, key, rangeEnd });
  }

  /** Uses a new store backend (an installed snapshot). */
  rebind(backend: Backend): void {
    this.store.rebind(backend);
  }

  close(): Promise<void> {
    this.tokens.clear();
    return this.hasher.close();
  }
}
