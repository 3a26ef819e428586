// The preload: exposes exactly one object, `window.rafter`, implementing the AdminApi with typed
// methods over IPC. The renderer never sees ipcRenderer, channel names or Node. Events arrive on
// one channel and are routed here to the listener of their subscription.
import { contextBridge, ipcRenderer } from 'electron';
import type { AdminApi, AdminEvent, AdminMethodName, EventListener, EventTopic, Result } from '../core/admin/api.js';
import { adminMethodNames } from '../core/admin/requestValidators.js';
import { eventChannel, exposedGlobalName, methodChannel, subscribeChannel, unsubscribeChannel } from './preloadSurface.js';

const listeners = new Map<string, EventListener>();

ipcRenderer.on(eventChannel, (_event, message: { subscriptionId: string; event: AdminEvent }) => {
  listeners.get(message.subscriptionId)?.(message.event);
});

const methods = Object.fromEntries(
  adminMethodNames.map((method: AdminMethodName) => [
    method,
    (request: unknown) => ipcRenderer.invoke(methodChannel(method), request) as Promise<Result<unknown>>,
  ]),
);

const rafter = {
  ...methods,
  async subscribe(topic: EventTopic, listener: EventListener) {
    const result = (await ipcRenderer.invoke(subscribeChannel, topic)) as Result<{ subscriptionId: string }>;
    if (result.ok) listeners.set(result.value.subscriptionId, listener);
    return result;
  },
  async unsubscribe(subscriptionId: string) {
    listeners.delete(subscriptionId);
    return (await ipcRenderer.invoke(unsubscribeChannel, subscriptionId)) as Result<null>;
  },
} as AdminApi;

contextBridge.exposeInMainWorld(exposedGlobalName, rafter);
