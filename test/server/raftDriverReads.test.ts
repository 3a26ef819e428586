// The driver's ReadIndex rounds on a one-member Raft (real RaftNode and MemoryStorage, hooks that
// persist nothing): a finished round releases its readers a slice per event-loop turn, so many
// large reads released together cannot hold the loop past an election timeout.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../core/raft/memoryStorage.js';
import { index, type NodeId } from '../../core/raft/types.js';
import { RaftDriver } from '../../core/server/raftDriver.js';

let driver: RaftDriver | undefined;
afterEach(() => driver?.stop());

function oneMember(): RaftDriver {
  const id = 'a1' as NodeId;
  return new RaftDriver({
    id,
    storage: MemoryStorage.bootstrap({ voters: [id], learners: [] }),
    applied: index(0),
    tickMs: 1,
    electionTicks: 10,
    heartbeatTicks: 1,
    seed: 7,
    hooks: {
      persistSnapshot: () => Promise.resolve(),
      persist: () => Promise.resolve(),
      send: () => undefined,
      applySnapshot: () => undefined,
      applyEntries: () => undefined,
      softStateChanged: () => undefined,
      afterReady: () => Promise.resolve(),
      fatal: (error) => {
        throw error;
      },
    },
  });
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ReadIndex rounds', () => {
  it('release their readers 16 per event-loop turn, in the order they asked', async () => {
    driver = oneMember();
    driver.start();
    await driver.waitForLeader(5_000);
    const released: number[] = [];
    const turnOf: number[] = [];
    let turn = 0;
    // The readers queue while no round runs yet, so they share one round.
    const reads = Array.from({ length: 40 }, (_, i) =>
      driver!.readBarrier().then(() => {
        released.push(i);
        turnOf.push(turn);
      }),
    );
    const ticker = (async (): Promise<void> => {
      while (released.length < 40) {
        await nextTurn();
        turn += 1;
      }
    })();
    await Promise.all(reads);
    await ticker;
    expect(released).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // The first reader starts the round alone; the 39 queued behind it share the next round and
    // are released 16, 16 and 7 in three different turns.
    const roundTwo = turnOf.slice(1);
    const slices = [roundTwo.slice(0, 16), roundTwo.slice(16, 32), roundTwo.slice(32)];
    for (const slice of slices) expect(new Set(slice).size, `one turn per slice: ${JSON.stringify(turnOf)}`).toBe(1);
    expect(new Set(slices.map((slice) => slice[0])).size).toBe(3);
  });
});
