// Where the renderer gets its AdminApi: the Electron preload's `window.rafter` when present,
// otherwise the web client talking to the web host that served this page. Only stores call it.
import type { AdminApi } from './contract';
import { createWebClient, webHostBase } from './webClient';
import type { HostLink } from './webClient';

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent in a browser. */
    rafter?: AdminApi;
  }
}

let current: AdminApi | null = null;
const linkListeners = new Set<(link: HostLink) => void>();

/** The AdminApi this page talks to, resolved once. */
export function adminApi(): AdminApi {
  current ??=
    window.rafter ??
    createWebClient(webHostBase(window.location), { onLinkChange: (link) => linkListeners.forEach((listener) => listener(link)) });
  return current;
}

/** Replaces the AdminApi (component tests install a fake of the contract). */
export function setAdminApi(api: AdminApi): void {
  current = api;
}

/** Calls `listener` when the web console's event link to its host drops or comes back. */
export function onHostLinkChange(listener: (link: HostLink) => void): () => void {
  linkListeners.add(listener);
  return () => linkListeners.delete(listener);
}

/** True inside the desktop app, where native dialogs exist. */
export function isDesktop(): boolean {
  return window.rafter !== undefined;
}
