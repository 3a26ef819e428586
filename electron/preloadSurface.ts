// What the preload exposes as `window.rafter`: the AdminApi methods and the event pair, and the
// IPC channel each one uses. Free of Electron imports, so main, preload and tests share it.
import type { AdminMethodName } from '../core/admin/api.js';
import { adminMethodNames } from '../core/admin/requestValidators.js';

/** The global the preload defines in the renderer. */
export const exposedGlobalName = 'rafter';
/** Channel main uses to push events to the preload. */
export const eventChannel = 'rafter:event';
export const subscribeChannel = 'rafter:subscribe';
export const unsubscribeChannel = 'rafter:unsubscribe';

/** The IPC channel of a request-response method. */
export function methodChannel(method: AdminMethodName): string {
  return `rafter:call:${method}`;
}

/** Every name `window.rafter` has: the AdminApi methods and subscribe/unsubscribe. */
export const exposedNames: readonly string[] = [...adminMethodNames, 'subscribe', 'unsubscribe'];
