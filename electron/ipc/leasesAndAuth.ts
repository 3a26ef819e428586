// IPC for the Leases and Auth pages.
import type { AdminMethodName } from '../../core/admin/api.js';
import type { IpcContext } from './ipcContext.js';

export const leaseMethods = ['listLeases', 'grantLease', 'revokeLease', 'keepAliveLease'] as const satisfies readonly AdminMethodName[];

export const authMethods = [
  'authStatus',
  'setAuthEnabled',
  'listUsers',
  'addUser',
  'deleteUser',
  'changePassword',
  'grantRole',
  'revokeRole',
  'listRoles',
  'addRole',
  'deleteRole',
  'grantPermission',
  'revokePermission',
] as const satisfies readonly AdminMethodName[];

export function registerLeasesAndAuth(context: IpcContext): void {
  for (const method of [...leaseMethods, ...authMethods]) context.handle(method);
}
