// Loading and error state for a store's calls to the AdminApi: every store action goes through
// `run`, so a failure always lands in a readable `error` and a spinner always stops. A state may
// be scoped (to the active connection, to the selected key): an answer that arrives after the
// scope changed is dropped, never shown as the new scope's data or error.
import { ref } from 'vue';
import type { Ref } from 'vue';
import type { AdminError, Result } from '../contract';

export interface RequestStateOptions {
  /** What the answers belong to now; an answer for an earlier scope is dropped. */
  scope?: () => string | null;
  /**
   * Keep the last error shown while the next call runs (reads repeated by a poll or a tick, so an
   * error does not flicker away and back); by default an action's error clears when it is tried again.
   */
  keepErrorWhileRunning?: boolean;
}

export interface RequestState {
  loading: Ref<boolean>;
  /** The last call's failure; cleared when the next call succeeds (or starts, unless kept), or the scope changes. */
  error: Ref<AdminError | null>;
  /**
   * Runs `call`, tracking loading and recording a failure in `error`. When the scope changed
   * while it ran, resolves to a `cancelled` failure that is not recorded, so callers apply nothing.
   */
  run<T>(call: () => Promise<Result<T>>): Promise<Result<T>>;
  /** Forgets the error (the scope changed, or the user dismissed it). */
  clear(): void;
}

/** What `run` answers for a call whose scope changed while it ran. */
export const staleAnswer: AdminError = { code: 'cancelled', message: 'The answer came for a connection or key no longer shown.' };

export function useRequestState(options: RequestStateOptions = {}): RequestState {
  const loading = ref(false);
  const error = ref<AdminError | null>(null);
  const scope = options.scope ?? (() => null);
  let inFlight = 0;
  async function run<T>(call: () => Promise<Result<T>>): Promise<Result<T>> {
    const startedIn = scope();
    inFlight++;
    loading.value = true;
    if (options.keepErrorWhileRunning !== true) error.value = null;
    try {
      const result = await call().catch(
        (thrown: unknown): Result<T> => ({
          ok: false,
          error: { code: 'internal', message: thrown instanceof Error ? thrown.message : String(thrown) },
        }),
      );
      if (scope() !== startedIn) return { ok: false, error: staleAnswer };
      error.value = result.ok ? null : result.error;
      return result;
    } finally {
      inFlight--;
      loading.value = inFlight > 0;
    }
  }
  return { loading, error, run, clear: () => (error.value = null) };
}
