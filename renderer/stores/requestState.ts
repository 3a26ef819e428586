// Loading and error state for a store's calls to the AdminApi: every store action goes through
// `run`, so a failure always lands in a readable `error` and a spinner always stops.
import { ref } from 'vue';
import type { Ref } from 'vue';
import type { AdminError, Result } from '../contract';

export interface RequestState {
  loading: Ref<boolean>;
  error: Ref<AdminError | null>;
  /** Runs `call`, tracking loading and recording a failure in `error` (a success clears it). */
  run<T>(call: () => Promise<Result<T>>): Promise<Result<T>>;
}

export function useRequestState(): RequestState {
  const loading = ref(false);
  const error = ref<AdminError | null>(null);
  let inFlight = 0;
  async function run<T>(call: () => Promise<Result<T>>): Promise<Result<T>> {
    inFlight++;
    loading.value = true;
    try {
      const result = await call().catch(
        (thrown: unknown): Result<T> => ({
          ok: false,
          error: { code: 'internal', message: thrown instanceof Error ? thrown.message : String(thrown) },
        }),
      );
      error.value = result.ok ? null : result.error;
      return result;
    } finally {
      inFlight--;
      loading.value = inFlight > 0;
    }
  }
  return { loading, error, run };
}
