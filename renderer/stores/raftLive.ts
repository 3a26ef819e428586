// The live Raft view's data: the messages the members' transport taps saw and the members' Raft
// state over time, read in a loop (each read continues from the last one's cursors and waits a
// little for traffic on the member) while the view is open; a message dropped on arrival is folded
// into its sender's record. Both buffers are bounded; what the bounds or the members' sampling
// left out is counted for the page to say. Replay (pause, slow motion) is the page's business: it
// reads these buffers at its own playhead.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { RaftLiveMember, RaftMessageRecord, RaftTraffic, RaftTrafficCursor } from '../contract';
import { adminApi } from '../api';
import { foldArrivalDrops } from './arrivalDrops';
import { useConnectionScope } from './connectionScope';

/** Messages kept for replay and the log; older ones are dropped and counted. */
export const liveMessagesMax = 5_000;
/** Member-state readings kept (one per read, several a second: a few minutes). */
export const liveReadingsMax = 1_500;
/** How long one read may wait on a member for a first message. */
export const trafficWaitMs = 400;
/** Shortest time between the starts of two reads. */
export const readIntervalMs = 150;
/** Pause before reading again after a failed read. */
export const retryIntervalMs = 1_000;

/** The members as one read found them. */
export interface MemberReading {
  readonly takenAtMs: number;
  readonly members: readonly RaftLiveMember[];
}

export const useRaftLiveStore = defineStore('raftLive', () => {
  /** Oldest first. Invariant: at most liveMessagesMax, sorted by atMs. */
  const messages = shallowRef<RaftMessageRecord[]>([]);
  /** Oldest first. Invariant: at most liveReadingsMax. */
  const readings = shallowRef<MemberReading[]>([]);
  /** Messages the members' taps left out by sampling, summed over the members' latest counts. */
  const sampledOut = ref(0);
  /** Messages lost between reads (a member's ring overwrote them) or dropped from the buffer here. */
  const missed = ref(0);
  const reading = ref(false);
  let cursors = new Map<string, RaftTrafficCursor>();
  let generation = 0;
  const scope = useConnectionScope(() => {
    stop();
    clear();
  });
  const readState = scope.requestState(undefined, { keepErrorWhileRunning: true });

  function clear(): void {
    messages.value = [];
    readings.value = [];
    sampledOut.value = 0;
    missed.value = 0;
    cursors = new Map();
  }

  function absorb(traffic: RaftTraffic): void {
    const next = new Map<string, RaftTrafficCursor>();
    let lost = 0;
    // A member that did not answer loses its cursor: the next read gives it a short deadline, and
    // its tap (a new one, if it restarted) is read from its oldest record.
    for (const member of traffic.members) {
      if (member.cursor) next.set(member.memberId, member.cursor);
      lost += member.missed;
    }
    cursors = next;
    sampledOut.value = traffic.members.reduce((sum, member) => sum + member.sampledOut, 0);
    let merged = messages.value;
    if (traffic.messages.length > 0) {
      const lastMs = merged.at(-1)?.atMs ?? 0;
      merged = traffic.messages.every((message) => message.atMs >= lastMs)
        ? [...merged, ...traffic.messages]
        : [...merged, ...traffic.messages].sort((a, b) => a.atMs - b.atMs);
      merged = foldArrivalDrops(merged);
      if (merged.length > liveMessagesMax) {
        lost += merged.length - liveMessagesMax;
        merged = merged.slice(-liveMessagesMax);
      }
      messages.value = merged;
    }
    missed.value += lost;
    readings.value = [...readings.value, { takenAtMs: traffic.takenAtMs, members: traffic.members }].slice(-liveReadingsMax);
  }

  /** Reads `connectionId`'s traffic until `stop` or until another connection becomes active. */
  async function start(connectionId: string): Promise<void> {
    stop();
    const mine = ++generation;
    reading.value = true;
    while (generation === mine && scope.activeId() === connectionId) {
      const startedMs = Date.now();
      const result = await readState.run(() =>
        adminApi().raftTraffic({ connectionId, cursors: [...cursors.values()], waitMs: trafficWaitMs }),
      );
      if (generation !== mine) return;
      if (result.ok) absorb(result.value);
      const restMs = (result.ok ? readIntervalMs : retryIntervalMs) - (Date.now() - startedMs);
      if (restMs > 0) await new Promise((resolve) => setTimeout(resolve, restMs));
    }
    if (generation === mine) reading.value = false;
  }

  function stop(): void {
    generation++;
    reading.value = false;
  }

  return { messages, readings, sampledOut, missed, reading, error: readState.error, start, stop, clear };
});
