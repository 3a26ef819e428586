// IPC for the console's preferences (theme, the connection it opens on), saved by the main process.
import type { AdminMethodName } from '../../core/admin/api.js';
import type { IpcContext } from './ipcContext.js';

export const preferenceMethods = ['loadPreferences', 'savePreferences'] as const satisfies readonly AdminMethodName[];

export function registerPreferences(context: IpcContext): void {
  for (const method of preferenceMethods) context.handle(method);
}
