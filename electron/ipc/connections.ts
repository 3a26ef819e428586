// IPC for the Connections page.
import type { AdminMethodName } from '../../core/admin/api.js';
import type { IpcContext } from './ipcContext.js';

export const connectionMethods = ['listConnections', 'addConnection', 'removeConnection', 'testConnection', 'connectionCapabilities', 'getConnection', 'updateConnection'] as const satisfies readonly AdminMethodName[];

export function registerConnections(context: IpcContext): void {
  for (const method of connectionMethods) context.handle(method);
}
