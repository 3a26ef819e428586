// IPC for subscriptions: each window's subscriptions are forwarded on the event channel and
// dropped when the window goes away, so a closed page leaves no watch or status ticker behind.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { AdminApi, AdminEvent, Result } from '../../core/admin/api.js';
import { validateTopic } from '../../core/admin/requestValidators.js';
import { toAdminError } from '../../core/admin/result.js';
import { eventChannel, subscribeChannel, unsubscribeChannel } from '../preloadSurface.js';

/** Most subscriptions one window may hold. */
export const windowSubscriptionsMax = 256;

export function registerEvents(ipc: IpcMain, service: AdminApi, isTrusted: (event: IpcMainInvokeEvent) => boolean): void {
  const owned = new Map<WebContents, Set<string>>();

  function ownedBy(contents: WebContents): Set<string> {
    let ids = owned.get(contents);
    if (!ids) {
      const created = new Set<string>();
      owned.set(contents, created);
      contents.once('destroyed', () => {
        for (const id of created) void service.unsubscribe(id);
        owned.delete(contents);
      });
      ids = created;
    }
    return ids;
  }

  ipc.handle(subscribeChannel, async (event, topic: unknown): Promise<Result<{ subscriptionId: string }>> => {
    if (!isTrusted(event)) return { ok: false, error: { code: 'permission_denied', message: 'Only the console page may subscribe.' } };
    const ids = ownedBy(event.sender);
    if (ids.size >= windowSubscriptionsMax) {
      return { ok: false, error: { code: 'resource_exhausted', message: `At most ${windowSubscriptionsMax} subscriptions per window.` } };
    }
    try {
      const contents = event.sender;
      // Events can be published before the subscription id is known: hold them until it is, and
      // send them after the reply so the preload has registered the listener.
      let subscriptionId: string | null = null;
      const early: AdminEvent[] = [];
      const forward = (id: string, adminEvent: AdminEvent): void => {
        if (!contents.isDestroyed()) contents.send(eventChannel, { subscriptionId: id, event: adminEvent });
      };
      const result = await service.subscribe(validateTopic(topic), (adminEvent) => {
        if (subscriptionId === null) early.push(adminEvent);
        else forward(subscriptionId, adminEvent);
      });
      if (result.ok) {
        const id = result.value.subscriptionId;
        ids.add(id);
        setImmediate(() => {
          subscriptionId = id;
          for (const held of early.splice(0)) forward(id, held);
        });
      }
      return result;
    } catch (error) {
      return { ok: false, error: toAdminError(error) };
    }
  });

  ipc.handle(unsubscribeChannel, async (event, subscriptionId: unknown): Promise<Result<null>> => {
    const ids = owned.get(event.sender);
    if (!isTrusted(event) || typeof subscriptionId !== 'string' || !ids?.has(subscriptionId)) {
      return { ok: false, error: { code: 'not_found', message: 'No such subscription in this window.' } };
    }
    ids.delete(subscriptionId);
    return service.unsubscribe(subscriptionId);
  });
}
