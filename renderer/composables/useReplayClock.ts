// A playhead over recorded time for replaying buffered events: it follows the wall clock less a
// lag while live at 1×, moves at a fraction of real time in slow motion (falling behind live), and
// stands still while paused. Advanced once per animation frame; the frame loop stops when the
// calling scope is disposed.
import { onScopeDispose, ref, shallowRef } from 'vue';
import type { Ref } from 'vue';

export interface ReplayClockOptions {
  /** How far behind the wall clock the live playhead runs (events need time to arrive). */
  lagMs: number;
  /** The oldest time still buffered: the playhead never falls behind it. */
  oldestMs: () => number | null;
  /** Wall clock; replaceable for tests. */
  clock?: () => number;
}

export interface ReplayClock {
  /** The recorded time being shown, in epoch milliseconds. */
  playheadMs: Ref<number>;
  paused: Ref<boolean>;
  /** 1 is real time; 0.25 and 0.1 are slow motion. */
  speed: Ref<number>;
  /** True while the playhead keeps up with the live edge. */
  live: Ref<boolean>;
  setSpeed(speed: number): void;
  togglePause(): void;
  /** Jumps to the live edge. */
  goLive(): void;
  /** Shows recorded time `ms`, paused there. */
  seek(ms: number): void;
  /** Advances the playhead to wall-clock time `nowMs` (called per frame). */
  advance(nowMs: number): void;
}

export function useReplayClock(options: ReplayClockOptions): ReplayClock {
  const clock = options.clock ?? Date.now;
  const playheadMs = shallowRef(clock() - options.lagMs);
  const paused = ref(false);
  const speed = ref(1);
  const live = ref(true);
  let lastFrameMs = clock();

  function advance(nowMs: number): void {
    const elapsedMs = Math.max(0, nowMs - lastFrameMs);
    lastFrameMs = nowMs;
    if (paused.value) return;
    const edgeMs = nowMs - options.lagMs;
    let next = live.value ? edgeMs : playheadMs.value + elapsedMs * speed.value;
    if (next >= edgeMs) {
      next = edgeMs;
      live.value = speed.value === 1;
    }
    const oldestMs = options.oldestMs();
    if (oldestMs !== null && next < oldestMs) next = oldestMs;
    playheadMs.value = next;
  }

  function setSpeed(next: number): void {
    speed.value = next;
    if (next !== 1) live.value = false;
  }

  function togglePause(): void {
    paused.value = !paused.value;
    if (paused.value) live.value = false;
  }

  function goLive(): void {
    paused.value = false;
    live.value = speed.value === 1;
    playheadMs.value = clock() - options.lagMs;
  }

  function seek(ms: number): void {
    paused.value = true;
    live.value = false;
    playheadMs.value = ms;
  }

  let frame = 0;
  const loop = (): void => {
    advance(clock());
    frame = requestAnimationFrame(loop);
  };
  if (typeof requestAnimationFrame === 'function') frame = requestAnimationFrame(loop);
  onScopeDispose(() => cancelAnimationFrame(frame));
  return { playheadMs, paused, speed, live, setSpeed, togglePause, goLive, seek, advance };
}
