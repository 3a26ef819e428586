import { afterEach, describe, expect, it } from 'vitest';
import { AuthStore, type AuthInfo, type AuthRequest } from '../../core/auth/authStore.js';
import { AuthError } from '../../core/auth/errors.js';
import { SimpleTokens } from '../../core/auth/simpleTokens.js';
import type { MvccStore } from '../../core/mvcc/mvccStore.js';
import { b, cleanup, openStore, tempDir } from '../mvcc/tempStore.js';

afterEach(cleanup);

/** Applies one request in its own store batch, as the applier does; returns the result or the error code. */
function apply(store: MvccStore, auth: AuthStore, request: AuthRequest, caller: AuthInfo | null = null): unknown {
  try {
    return store.applyBatch(null, () => auth.apply(request, caller, 1));
  } catch (error) {
    if (error instanceof AuthError) return error.code;
    throw error;
  }
}

function setUp(): { store: MvccStore; auth: AuthStore; tokens: SimpleTokens; dir: string } {
  const dir = tempDir();
  const store = openStore({ dir });
  const tokens = new SimpleTokens(60_000, () => 0);
  return { store, auth: new AuthStore(store.backend, tokens), tokens, dir };
}

describe('the auth store', () => {
  it("refuses to enable auth until root exists with the root role, writing nothing", () => {
    const { store, auth } = setUp();
    expect(apply(store, auth, { op: 'authEnable' })).toBe('ROOT_USER_NOT_EXIST');
    apply(store, auth, { op: 'userAdd', name: 'root', passwordHash: 'h' });
    const revision = auth.revision;
    expect(apply(store, auth, { op: 'authEnable' })).toBe('ROOT_ROLE_NOT_EXIST');
    expect(auth.revision).toBe(revision);
    expect(auth.enabled).toBe(false);
    apply(store, auth, { op: 'userGrantRole', name: 'root', role: 'root' });
    expect(apply(store, auth, { op: 'authEnable' })).toBeNull();
    expect(auth.enabled).toBe(true);
  });

  it('gives root every permission and others only what their roles grant', () => {
    const { store, auth } = setUp();
    apply(store, auth, { op: 'userAdd', name: 'root', passwordHash: 'h' });
    apply(store, auth, { op: 'userGrantRole', name: 'root', role: 'root' });
    apply(store, auth, { op: 'roleAdd', name: 'r' });
    apply(store, auth, { op: 'roleGrantPermission', name: 'r', permission: { type: 'READ', key: b('/a/'), rangeEnd: b('/a0') } });
    apply(store, auth, { op: 'userAdd', name: 'u', passwordHash: 'h' });
    apply(store, auth, { op: 'userGrantRole', name: 'u', role: 'r' });
    apply(store, auth, { op: 'authEnable' });
    const root = { user: 'root', revision: auth.revision };
    const user = { user: 'u', revision: auth.revision };
    expect(() => auth.checkKeys(root, b('anything'), b('\0'), 'WRITE')).not.toThrow();
    expect(() => auth.checkKeys(user, b('/a/x'), undefined, 'READ')).not.toThrow();
    expect(() => auth.checkKeys(user, b('/a/x'), undefined, 'WRITE')).toThrow('etcdserver: permission denied');
    expect(() => auth.checkKeys(user, b('/b'), undefined, 'READ')).toThrow('etcdserver: permission denied');
    expect(() => auth.checkKeys(null, b('/a/x'), undefined, 'READ')).toThrow('etcdserver: user name is empty');
    expect(() => auth.checkAdmin(user)).toThrow('etcdserver: permission denied');
    expect(apply(store, auth, { op: 'userList' }, user)).toBe('PERMISSION_DENIED');
    expect(apply(store, auth, { op: 'userGet', name: 'u' }, user)).toEqual(['r']);
    expect(apply(store, auth, { op: 'roleGet', name: 'r' }, user)).toHaveLength(1);
    expect(apply(store, auth, { op: 'roleRevokePermission', name: 'r', key: b('/a/'), rangeEnd: b('/a0') }, root)).toBeNull();
    expect(() => auth.checkKeys({ user: 'u', revision: auth.revision }, b('/a/x'), undefined, 'READ')).toThrow('etcdserver: permission denied');
  });

  it('refuses a check made with a token older than the last auth change', () => {
    const { store, auth } = setUp();
    apply(store, auth, { op: 'userAdd', name: 'root', passwordHash: 'h' });
    apply(store, auth, { op: 'userGrantRole', name: 'root', role: 'root' });
    apply(store, auth, { op: 'authEnable' });
    const stale = { user: 'root', revision: auth.revision };
    apply(store, auth, { op: 'roleAdd', name: 'x' }, stale);
    expect(() => auth.checkKeys(stale, b('k'), undefined, 'READ')).toThrow('etcdserver: revision of auth store is old');
  });

  it("protects root while enabled, and refuses etcd's bad input", () => {
    const { store, auth } = setUp();
    expect(apply(store, auth, { op: 'userAdd', name: '', passwordHash: 'h' })).toBe('USER_EMPTY');
    expect(apply(store, auth, { op: 'roleAdd', name: '' })).toBe('ROLE_EMPTY');
    expect(apply(store, auth, { op: 'roleAdd', name: 'r' })).toBeNull();
    expect(apply(store, auth, { op: 'roleGrantPermission', name: 'r', permission: { type: 'READ', key: b('/z'), rangeEnd: b('/a') } })).toBe('INVALID_AUTH_MGMT');
    expect(apply(store, auth, { op: 'roleGrantPermission', name: 'r', permission: null })).toBe('PERMISSION_NOT_GIVEN');
    expect(apply(store, auth, { op: 'roleGet', name: 'r' })).toEqual([]);
    apply(store, auth, { op: 'userAdd', name: 'root', passwordHash: 'h' });
    apply(store, auth, { op: 'userGrantRole', name: 'root', role: 'root' });
    apply(store, auth, { op: 'authEnable' });
    expect(apply(store, auth, { op: 'userDelete', name: 'root' })).toBe('INVALID_AUTH_MGMT');
    expect(apply(store, auth, { op: 'userRevokeRole', name: 'root', role: 'root' })).toBe('INVALID_AUTH_MGMT');
    expect(apply(store, auth, { op: 'roleDelete', name: 'root' })).toBe('INVALID_AUTH_MGMT');
  });

  it('takes a name longer than any table key', () => {
    const { store, auth } = setUp();
    const name = 'u'.repeat(100_000);
    expect(apply(store, auth, { op: 'userAdd', name, passwordHash: 'h' })).toBeNull();
    expect(apply(store, auth, { op: 'userList' })).toEqual([name]);
    expect(apply(store, auth, { op: 'userDelete', name })).toBeNull();
  });

  it('survives closing and opening the store, and drops tokens when auth is disabled', () => {
    const { store, auth, tokens, dir } = setUp();
    apply(store, auth, { op: 'userAdd', name: 'root', passwordHash: 'h' });
    apply(store, auth, { op: 'userGrantRole', name: 'root', role: 'root' });
    apply(store, auth, { op: 'authEnable' });
    const token = store.applyBatch(null, () => auth.apply({ op: 'authenticate', name: 'root', tokenPrefix: 'abc' }, null, 9));
    expect(token).toBe('abc.9');
    expect(tokens.user('abc.9')).toBe('root');
    const revision = auth.revision;
    store.close();
    const reopened = openStore({ dir });
    const again = new AuthStore(reopened.backend, tokens);
    expect(again.enabled).toBe(true);
    expect(again.revision).toBe(revision);
    expect(again.user('root')?.roles).toEqual(['root']);
    apply(reopened, again, { op: 'authDisable' });
    expect(tokens.user('abc.9')).toBeNull();
  });

  it('forgets changes of an aborted batch when reloaded', () => {
    const { store, auth } = setUp();
    expect(() =>
      store.applyBatch(null, () => {
        auth.apply({ op: 'userAdd', name: 'ghost', passwordHash: 'h' }, null, 1);
        throw new Error('disk gone');
      }),
    ).toThrow('disk gone');
    auth.reload();
    expect(auth.user('ghost')).toBeUndefined();
  });
});
