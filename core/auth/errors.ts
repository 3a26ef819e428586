// Typed errors for the expected failures of authentication and authorisation, each with etcd's
// message as its gRPC status carries it. The gRPC code is decided at the API edge
// (core/api/grpcStatus.ts) from `code`, as for the store's errors.

export type AuthErrorCode =
  | 'ROOT_USER_NOT_EXIST'
  | 'ROOT_ROLE_NOT_EXIST'
  | 'USER_ALREADY_EXIST'
  | 'USER_EMPTY'
  | 'USER_NOT_FOUND'
  | 'ROLE_ALREADY_EXIST'
  | 'ROLE_NOT_FOUND'
  | 'ROLE_EMPTY'
  | 'AUTH_FAILED'
  | 'NO_PASSWORD_USER'
  | 'PERMISSION_NOT_GIVEN'
  | 'PERMISSION_DENIED'
  | 'ROLE_NOT_GRANTED'
  | 'PERMISSION_NOT_GRANTED'
  | 'AUTH_NOT_ENABLED'
  | 'INVALID_AUTH_TOKEN'
  | 'INVALID_AUTH_MGMT'
  | 'AUTH_OLD_REVISION'
  | 'VERIFY_ONLY';

/**
 * etcd's texts. NO_PASSWORD_USER and VERIFY_ONLY are the ones etcd 3.4 leaves unmapped: it reaches the client as
 * its internal text with code UNKNOWN, and so it does here.
 */
export const authErrorMessages: Readonly<Record<AuthErrorCode, string>> = {
  ROOT_USER_NOT_EXIST: 'etcdserver: root user does not exist',
  ROOT_ROLE_NOT_EXIST: 'etcdserver: root user does not have root role',
  USER_ALREADY_EXIST: 'etcdserver: user name already exists',
  USER_EMPTY: 'etcdserver: user name is empty',
  USER_NOT_FOUND: 'etcdserver: user name not found',
  ROLE_ALREADY_EXIST: 'etcdserver: role name already exists',
  ROLE_NOT_FOUND: 'etcdserver: role name not found',
  ROLE_EMPTY: 'etcdserver: role name is empty',
  AUTH_FAILED: 'etcdserver: authentication failed, invalid user ID or password',
  NO_PASSWORD_USER: 'auth: authentication failed, password was given for no password user',
  PERMISSION_NOT_GIVEN: 'etcdserver: permission not given',
  PERMISSION_DENIED: 'etcdserver: permission denied',
  ROLE_NOT_GRANTED: 'etcdserver: role is not granted to the user',
  PERMISSION_NOT_GRANTED: 'etcdserver: permission is not granted to the role',
  AUTH_NOT_ENABLED: 'etcdserver: authentication is not enabled',
  INVALID_AUTH_TOKEN: 'etcdserver: invalid auth token',
  INVALID_AUTH_MGMT: 'etcdserver: invalid auth management',
  AUTH_OLD_REVISION: 'etcdserver: revision of auth store is old',
  VERIFY_ONLY: 'auth: token signing attempted with verify-only key',
};

/** The auth package's own texts, which etcd 3.4 lets through unmapped on a few calls. */
const internalMessages: Readonly<Record<AuthErrorCode, string>> = {
  ROOT_USER_NOT_EXIST: 'auth: root user does not exist',
  ROOT_ROLE_NOT_EXIST: 'auth: root user does not have root role',
  USER_ALREADY_EXIST: 'auth: user already exists',
  USER_EMPTY: 'auth: user name is empty',
  USER_NOT_FOUND: 'auth: user not found',
  ROLE_ALREADY_EXIST: 'auth: role already exists',
  ROLE_NOT_FOUND: 'auth: role not found',
  ROLE_EMPTY: 'auth: role name is empty',
  AUTH_FAILED: 'auth: authentication failed, invalid user ID or password',
  NO_PASSWORD_USER: 'auth: authentication failed, password was given for no password user',
  PERMISSION_NOT_GIVEN: 'auth: permission not given',
  PERMISSION_DENIED: 'auth: permission denied',
  ROLE_NOT_GRANTED: 'auth: role is not granted to the user',
  PERMISSION_NOT_GRANTED: 'auth: permission is not granted to the role',
  AUTH_NOT_ENABLED: 'auth: authentication is not enabled',
  INVALID_AUTH_TOKEN: 'auth: invalid auth token',
  INVALID_AUTH_MGMT: 'auth: invalid auth management',
  AUTH_OLD_REVISION: 'auth: revision in header is old',
  VERIFY_ONLY: 'auth: token signing attempted with verify-only key',
};

/**
 * An expected failure of an auth request or check. `unmapped` ones carry the auth package's
 * text and reach the client with code UNKNOWN, as etcd 3.4's Defragment, Hash, HashKV and
 * Snapshot answer a caller without the root role.
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: AuthErrorCode,
    readonly unmapped = false,
  ) {
    super(unmapped ? internalMessages[code] : authErrorMessages[code]);
  }
}
