// IPC for the Watches page.
import type { AdminMethodName } from '../../core/admin/api.js';
import type { IpcContext } from './ipcContext.js';

export const watchMethods = ['startWatch', 'stopWatch', 'listWatches'] as const satisfies readonly AdminMethodName[];

export function registerWatches(context: IpcContext): void {
  for (const method of watchMethods) context.handle(method);
}
