// The current time as a ref, ticking every `intervalMs` while the calling component lives: for
// countdowns (lease TTLs). The timer stops when the scope is disposed.
import { onScopeDispose, ref } from 'vue';
import type { Ref } from 'vue';

export interface NowOptions {
  /** How often the time advances. */
  intervalMs: number;
}

export function useNow(options: NowOptions): { now: Ref<number> } {
  const now = ref(Date.now());
  const timer = setInterval(() => (now.value = Date.now()), options.intervalMs);
  onScopeDispose(() => clearInterval(timer));
  return { now };
}
