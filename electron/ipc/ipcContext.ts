// The shared part of the IPC handlers: checks that a call comes from the app's own page,
// validates its request against the contract, and calls the AdminService. Feature files register
// their methods through `handle`, each in a few lines.
import type { IpcMainInvokeEvent } from 'electron';
import type { AdminApi, AdminMethodName, Result } from '../../core/admin/api.js';
import { validateRequest } from '../../core/admin/requestValidators.js';
import { toAdminError } from '../../core/admin/result.js';
import { methodChannel } from '../preloadSurface.js';

export interface IpcContext {
  /** Registers the handler of `method`, or `override` in its place (for native features). */
  handle<M extends AdminMethodName>(method: M, override?: AdminApi[M]): void;
}

export interface IpcRegistrar {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>): void;
}

const untrusted: Result<never> = {
  ok: false,
  error: { code: 'permission_denied', message: 'Only the console page may call the back end.' },
};

/** Builds the context over `ipc` (ipcMain) for calls whose sender passes `isTrusted`. */
export function ipcContext(ipc: IpcRegistrar, service: AdminApi, isTrusted: (event: IpcMainInvokeEvent) => boolean): IpcContext {
  return {
    handle(method, override) {
      const target = (override ?? service[method].bind(service)) as (request: unknown) => Promise<Result<unknown>>;
      ipc.handle(methodChannel(method), async (event, request) => {
        if (!isTrusted(event)) return untrusted;
        try {
          return await target(validateRequest(method, request));
        } catch (error) {
          return { ok: false, error: toAdminError(error) };
        }
      });
    },
  };
}
