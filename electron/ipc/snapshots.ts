// IPC for the Snapshots page; file paths are chosen with native dialogs.
import type { AdminApi, AdminMethodName } from '../../core/admin/api.js';
import type { IpcContext } from './ipcContext.js';

export const snapshotMethods = [
  'saveSnapshot',
  'snapshotStatus',
  'restoreSnapshot',
  'compact',
  'defragment',
  'listAlarms',
  'disarmAlarm',
  'pickFile',
] as const satisfies readonly AdminMethodName[];

export function registerSnapshots(context: IpcContext, pickFile: AdminApi['pickFile']): void {
  for (const method of snapshotMethods) {
    if (method === 'pickFile') context.handle(method, pickFile);
    else context.handle(method);
  }
}
