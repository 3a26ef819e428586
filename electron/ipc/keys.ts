// IPC for the Keys page.
import type { AdminMethodName } from '../../core/admin/api.js';
import type { IpcContext } from './ipcContext.js';

export const keysMethods = [
  'listKeys',
  'listFolder',
  'getKey',
  'keyHistory',
  'putKey',
  'deleteKey',
  'deletePrefix',
  'exportKeys',
  'importKeys',
] as const satisfies readonly AdminMethodName[];

export function registerKeys(context: IpcContext): void {
  for (const method of keysMethods) context.handle(method);
}
