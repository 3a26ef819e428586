// The Auth page's reading of permissions: each described as a key, a prefix, every key from a key
// on, every key, or a range, with READ / WRITE / READWRITE; and whether roles, or a user through
// its roles, may read or write a key, by etcd's rules (byte order, rangeEnd "\0", the root role).
import { describe, expect, it } from 'vitest';
import type { RoleInfo } from '../../renderer/contract';
import { accessSentence, describePermission, permissionCovers, prefixEnd, rolesAccess, userAccess } from '../../renderer/permissions';

const roles: RoleInfo[] = [
  { name: 'app-rw', permissions: [{ type: 'readwrite', key: 'app/', rangeEnd: prefixEnd('app/') }] },
  { name: 'config-reader', permissions: [{ type: 'read', key: 'config', rangeEnd: '' }, { type: 'write', key: 'logs/a', rangeEnd: 'logs/m' }] },
  { name: 'tail', permissions: [{ type: 'read', key: 'z', rangeEnd: '\0' }] },
  { name: 'everything-read', permissions: [{ type: 'read', key: '\0', rangeEnd: '\0' }] },
];

describe('permissions in words', () => {
  it('names a single key, a prefix, a range, every key from a key on and every key', () => {
    expect(describePermission({ type: 'read', key: 'config', rangeEnd: '' }).text).toBe('key config — READ');
    expect(describePermission({ type: 'readwrite', key: 'app/', rangeEnd: 'app0' })).toEqual({ scope: 'prefix', access: 'READWRITE', what: 'prefix app/', text: 'prefix app/ — READWRITE' });
    expect(describePermission({ type: 'write', key: 'logs/a', rangeEnd: 'logs/m' }).text).toBe('range logs/a up to (not including) logs/m — WRITE');
    expect(describePermission({ type: 'read', key: 'z', rangeEnd: '\0' }).text).toBe('every key from z on — READ');
    expect(describePermission({ type: 'read', key: '\0', rangeEnd: '\0' }).scope).toBe('all');
  });
});

describe('who may read and write a key', () => {
  it('covers keys by exact match, half-open range and open end', () => {
    expect(permissionCovers({ type: 'read', key: 'config', rangeEnd: '' }, 'config')).toBe(true);
    expect(permissionCovers({ type: 'read', key: 'config', rangeEnd: '' }, 'config/x')).toBe(false);
    expect(permissionCovers({ type: 'write', key: 'logs/a', rangeEnd: 'logs/m' }, 'logs/m')).toBe(false);
    expect(permissionCovers({ type: 'write', key: 'logs/a', rangeEnd: 'logs/m' }, 'logs/b')).toBe(true);
    expect(permissionCovers({ type: 'read', key: 'z', rangeEnd: '\0' }, 'zzz')).toBe(true);
    // Byte order, not UTF-16 order: U+FF61 (EF BD A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8.
    expect(permissionCovers({ type: 'read', key: '\uff61', rangeEnd: '\u{1f601}' }, '\u{1f600}')).toBe(true);
  });

  it('combines a user’s roles and names the grants that decide', () => {
    const alice = { name: 'alice', roles: ['app-rw', 'config-reader'] };
    expect(userAccess(alice, roles, 'app/x')).toEqual({ read: true, write: true, because: ['role app-rw: prefix app/ — READWRITE'] });
    expect(userAccess(alice, roles, 'config')).toMatchObject({ read: true, write: false });
    expect(userAccess(alice, roles, 'logs/b')).toMatchObject({ read: false, write: true });
    expect(userAccess(alice, roles, 'secret')).toEqual({ read: false, write: false, because: [] });
    expect(accessSentence('User alice', 'config', userAccess(alice, roles, 'config'))).toBe('User alice may read but not write config.');
  });

  it('lets the root role do everything and an unknown role nothing', () => {
    expect(rolesAccess(['root'], roles, 'anything')).toEqual({ read: true, write: true, because: ['role root: everything'] });
    expect(rolesAccess(['missing'], roles, 'app/x')).toEqual({ read: false, write: false, because: [] });
    expect(rolesAccess(['everything-read'], roles, 'a')).toMatchObject({ read: true, write: false });
  });
});
