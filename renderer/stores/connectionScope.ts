// What a store's state belongs to: the active connection. Stores holding a connection's data make
// their request states here, so a late answer for another connection is dropped, and reset their
// data when the active connection changes (synchronously, before any page asks for new data).
import { watch } from 'vue';
import { useConnectionsStore } from './connections';
import { useRequestState } from './requestState';
import type { RequestState } from './requestState';

export interface ConnectionScope {
  /** The active connection's id, read now. */
  activeId(): string | null;
  /** A request state whose answers belong to the active connection (and to `also`, when given). */
  requestState(also?: () => string | null, options?: { keepErrorWhileRunning: boolean }): RequestState;
}

/** Calls `reset` whenever the active connection changes; the states made here are cleared first. */
export function useConnectionScope(reset: () => void): ConnectionScope {
  const connections = useConnectionsStore();
  const states: RequestState[] = [];
  watch(
    () => connections.activeId,
    () => {
      for (const state of states) state.clear();
      reset();
    },
    { flush: 'sync' },
  );
  const activeId = (): string | null => connections.activeId;
  return {
    activeId,
    requestState(also, options) {
      const scope = also ? () => `${activeId() ?? ''}\n${also() ?? ''}` : activeId;
      const state = useRequestState({ scope, keepErrorWhileRunning: options?.keepErrorWhileRunning ?? false });
      states.push(state);
      return state;
    },
  };
}
