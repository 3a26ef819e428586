// What a role's permissions mean, in words and as answers: each permission described as one key, a
// prefix, every key from a key on, or a range, with READ / WRITE / READWRITE; and whether a role —
// or a user through its roles — may read or write a given key, by etcd's rules (a range is
// [key, rangeEnd) in byte order; rangeEnd "\0" means every key from `key` on; the root role may do
// everything). Pure functions, so the Auth page and its tests share them.
import type { Permission, PermissionType, RoleInfo, UserInfo } from './contract';

/** The role etcd gives every permission. */
export const rootRole = 'root';

/** The range end that makes `key` a prefix (its last character incremented); "\0" for the empty key. */
export function prefixEnd(key: string): string {
  if (key === '') return '\0';
  const last = key.charCodeAt(key.length - 1);
  return key.slice(0, -1) + String.fromCharCode(last + 1);
}

export type PermissionScope = 'key' | 'prefix' | 'from' | 'all' | 'range';

export interface PermissionSummary {
  scope: PermissionScope;
  access: 'READ' | 'WRITE' | 'READWRITE';
  /** Which keys: "prefix app/". */
  what: string;
  /** One line: "prefix app/ — READWRITE". */
  text: string;
}

const accessOf: Record<PermissionType, PermissionSummary['access']> = { read: 'READ', write: 'WRITE', readwrite: 'READWRITE' };

/** A permission in words. */
export function describePermission(permission: Permission): PermissionSummary {
  const access = accessOf[permission.type];
  const { key, rangeEnd } = permission;
  let scope: PermissionScope;
  let what: string;
  if (rangeEnd === '') {
    scope = 'key';
    what = `key ${key}`;
  } else if (rangeEnd === '\0' && (key === '' || key === '\0')) {
    scope = 'all';
    what = 'every key';
  } else if (rangeEnd === '\0') {
    scope = 'from';
    what = `every key from ${key} on`;
  } else if (rangeEnd === prefixEnd(key)) {
    scope = 'prefix';
    what = `prefix ${key}`;
  } else {
    scope = 'range';
    what = `range ${key} up to (not including) ${rangeEnd}`;
  }
  return { scope, access, what, text: `${what} — ${access}` };
}

const encoder = new TextEncoder();

/** Byte-order comparison of UTF-8 keys, as etcd compares them. */
function compareKeys(a: string, b: string): number {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) if (left[i] !== right[i]) return left[i]! - right[i]!;
  return left.length - right.length;
}

/** Whether `permission` covers `key`. */
export function permissionCovers(permission: Permission, key: string): boolean {
  if (permission.rangeEnd === '') return permission.key === key;
  if (compareKeys(key, permission.key) < 0) return false;
  return permission.rangeEnd === '\0' || compareKeys(key, permission.rangeEnd) < 0;
}

/** What a role or user may do with one key, and which grants say so. */
export interface KeyAccess {
  read: boolean;
  write: boolean;
  /** The grants that allow it, in words ("role app-rw: prefix app/ — READWRITE"); the root role says "role root: everything". */
  because: string[];
}

/** What the roles named `roleNames` together allow on `key` (roles not in `roles` allow nothing). */
export function rolesAccess(roleNames: readonly string[], roles: readonly RoleInfo[], key: string): KeyAccess {
  const access: KeyAccess = { read: false, write: false, because: [] };
  for (const name of roleNames) {
    if (name === rootRole) {
      access.read = true;
      access.write = true;
      access.because.push(`role ${rootRole}: everything`);
      continue;
    }
    for (const permission of roles.find((role) => role.name === name)?.permissions ?? []) {
      if (!permissionCovers(permission, key)) continue;
      if (permission.type !== 'write') access.read = true;
      if (permission.type !== 'read') access.write = true;
      access.because.push(`role ${name}: ${describePermission(permission).text}`);
    }
  }
  return access;
}

/** What `user` may do with `key` through its roles. */
export function userAccess(user: UserInfo, roles: readonly RoleInfo[], key: string): KeyAccess {
  return rolesAccess(user.roles, roles, key);
}

/** The answer as a sentence: "alice may read and write app/x." */
export function accessSentence(who: string, key: string, access: KeyAccess): string {
  const verbs = access.read && access.write ? 'may read and write' : access.read ? 'may read but not write' : access.write ? 'may write but not read' : 'may neither read nor write';
  return `${who} ${verbs} ${key}.`;
}
