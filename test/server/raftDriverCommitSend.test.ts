// The leader's commit-only appends (no entries, sent in the Ready that commits) leave after the
// answers to the writes they commit: a real RaftNode and MemoryStorage behind the driver, the test
// playing the two other voters. An answer is modelled as Node writes one: in the event-loop turn
// after the apply.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../core/raft/memoryStorage.js';
import type { Message } from '../../core/raft/message.js';
import { index, type NodeId } from '../../core/raft/types.js';
import { RaftDriver } from '../../core/server/raftDriver.js';

const leaderId = 'a1' as NodeId;
const peers = ['b2' as NodeId, 'c3' as NodeId];

let driver: RaftDriver | undefined;
afterEach(() => driver?.stop());

interface Harness {
  readonly driver: RaftDriver;
  /** What happened, in order: sends (`send <type> <to> <entries>`), applies and answers. */
  readonly log: string[];
  /** Every message the leader sent, in order, and where in `log` each was sent. */
  readonly sent: Message[];
  readonly sentAt: number[];
  /** Called with each applied entry's data, in the turn that applies it. */
  onApply: (data: string) => void;
  /** Whether callers wait on this member (the driver asks at each Ready). */
  callersWaiting: boolean;
}

function reply(to: Message, type: Message['type'], fields: Partial<Message> = {}): Message {
  return { type, from: to.to, to: to.from, term: to.term, logTerm: 0 as never, index: index(0), entries: [], commit: index(0), reject: false, rejectHint: index(0), ...fields };
}

/** A three-voter driver whose peers grant every vote and acknowledge every append (when `ack` allows). */
function harness(ack: (message: Message) => boolean): Harness {
  const h: Harness = {
    driver: undefined as unknown as RaftDriver,
    log: (lastLog = []),
    sent: [],
    sentAt: [],
    onApply: () => undefined,
    callersWaiting: true,
  };
  const answer = (message: Message): void => {
    if (message.type === 'preVote') h.driver.step(reply(message, 'preVoteResp'));
    else if (message.type === 'vote') h.driver.step(reply(message, 'voteResp'));
    else if (message.type === 'heartbeat') h.driver.step(reply(message, 'heartbeatResp', { context: message.context }));
    else if (message.type === 'app' && ack(message)) h.driver.step(reply(message, 'appResp', { index: index(message.index + message.entries.length) }));
  };
  const storage = MemoryStorage.bootstrap({ voters: [leaderId, ...peers], learners: [] });
  const d = new RaftDriver({
    id: leaderId,
    storage,
    applied: index(1),
    tickMs: 1,
    electionTicks: 10,
    heartbeatTicks: 1,
    seed: 11,
    hooks: {
      persistSnapshot: () => Promise.resolve(),
      // Durable at once, as the member's WAL makes them before it resolves.
      persist: (ready) => {
        if (ready.entries.length > 0) storage.append(ready.entries);
        if (ready.hardState !== null) storage.setHardState(ready.hardState);
        return Promise.resolve();
      },
      send: (messages) => {
        for (const message of messages) {
          h.sent.push(message);
          h.sentAt.push(h.log.length);
          h.log.push(`send ${message.type} ${message.to} ${message.entries.length}`);
        }
        // The peers answer in a later turn, as over a network.
        setImmediate(() => messages.forEach(answer));
      },
      callersWaiting: () => h.callersWaiting,
      applySnapshot: () => undefined,
      applyEntries: (entries) => {
        for (const entry of entries) {
          if (entry.data.length === 0) continue;
          const data = Buffer.from(entry.data).toString();
          h.log.push(`apply ${data}`);
          h.onApply(data);
        }
      },
      softStateChanged: () => undefined,
      afterReady: () => Promise.resolve(),
      fatal: (error) => {
        throw error;
      },
    },
  });
  (h as { driver: RaftDriver }).driver = d;
  driver = d;
  return h;
}

let lastLog: string[] | undefined;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    if (turns > 20_000) throw new Error(`gave up waiting for ${what}: ${JSON.stringify(lastLog?.filter((l) => !l.includes("heartbeat")).slice(0, 12))}`);
    await nextTurn();
  }
}

/** Elects the driver and waits until its first entry (the new term's empty one) is applied. */
async function elected(h: Harness): Promise<void> {
  h.driver.start();
  await until(() => h.driver.isLeader() && h.driver.applied >= 2, 'the driver to lead and apply its first entry');
}

function propose(h: Harness, data: string): void {
  h.driver.withNode((node) => node.propose(Buffer.from(data)));
}

const commitOnly = (line: string): boolean => /^send app (b2|c3) 0$/.test(line);

describe('commit-only appends from the leader', () => {
  it('leave after the answers to the writes the Ready commits, and every peer gets one', async () => {
    const h = harness(() => true);
    await elected(h);
    h.onApply = (data) => setImmediate(() => h.log.push(`answer ${data}`));
    const from = h.log.length;
    propose(h, 'w1');
    const toldAfterApply = (): number => {
      const applied = h.log.indexOf('apply w1');
      return applied < 0 ? 0 : h.log.slice(applied).filter(commitOnly).length;
    };
    await until(() => h.log.includes('answer w1') && toldAfterApply() >= 2, 'the answer and the commit-only appends');
    const round = h.log.slice(from);
    const applied = round.indexOf('apply w1');
    const answered = round.indexOf('answer w1');
    const commitSends = round.map((line, i) => (commitOnly(line) ? i : -1)).filter((i) => i > applied);
    expect(applied, round.join('\n')).toBeGreaterThan(-1);
    expect(commitSends.length, round.join('\n')).toBeGreaterThanOrEqual(2);
    // The appends carrying the entry went out before the apply; the ones telling the commit after
    // the answer.
    expect(round.slice(0, applied).filter((line) => /^send app (b2|c3) 1$/.test(line))).toHaveLength(2);
    expect(commitSends[0]!, round.join('\n')).toBeGreaterThan(answered);
    const peersTold = new Set(commitSends.map((i) => round[i]!.split(' ')[2]));
    expect([...peersTold].sort()).toEqual(['b2', 'c3']);
    // The commit they carry is the entry's index.
    const told = h.sent.filter((message) => message.type === 'app' && message.entries.length === 0);
    expect(Math.max(...told.map((message) => message.commit))).toBe(h.driver.applied);
  });

  it('go out before anything the leader sends later, so each peer gets its messages in order', async () => {
    const h = harness(() => true);
    await elected(h);
    // A write proposed while the Ready that commits w1 is being handled: its appends are sent in
    // the same turn, before the held ones would leave by themselves.
    h.onApply = (data) => {
      if (data === 'w1') propose(h, 'w2');
    };
    const from = h.sent.length;
    propose(h, 'w1');
    await until(() => h.log.includes('apply w2'), 'w2 to apply');
    await until(() => h.sent.slice(from).filter((m) => m.type === 'app' && m.entries.length === 0 && m.commit >= h.driver.applied).length >= 2, 'the commit of w2 to be told');
    for (const peer of peers) {
      const toPeer = h.sent.slice(from).filter((message) => message.to === peer && message.type === 'app');
      // Per peer, the commit index and the log position it is told never go back.
      for (let i = 1; i < toPeer.length; i++) {
        expect(toPeer[i]!.commit, JSON.stringify(toPeer.map((m) => [m.index, m.entries.length, m.commit]))).toBeGreaterThanOrEqual(toPeer[i - 1]!.commit);
        expect(toPeer[i]!.index + toPeer[i]!.entries.length).toBeGreaterThanOrEqual(toPeer[i - 1]!.index + toPeer[i - 1]!.entries.length);
      }
      const w2Append = toPeer.findIndex((message) => message.entries.some((entry) => Buffer.from(entry.data).toString() === 'w2'));
      expect(w2Append).toBeGreaterThan(-1);
      // The append telling w1's commit left before w2's append, though it was held.
      const w1Index = h.sent.slice(from).find((message) => message.entries.some((entry) => Buffer.from(entry.data).toString() === 'w1'))!.entries[0]!.index;
      expect(toPeer.slice(0, w2Append).some((message) => message.commit >= w1Index)).toBe(true);
    }
  });

  it('are sent at once when no caller waits on the leader (its writes came through followers)', async () => {
    const h = harness(() => true);
    h.callersWaiting = false;
    await elected(h);
    h.onApply = (data) => setImmediate(() => h.log.push(`answer ${data}`));
    const from = h.sent.length;
    propose(h, 'w1');
    const w1Index = (): number | undefined => h.sent.slice(from).find((message) => message.entries.some((entry) => Buffer.from(entry.data).toString() === 'w1'))?.entries[0]?.index;
    const toldW1 = (): number[] =>
      h.sent.flatMap((message, i) => (i >= from && message.type === 'app' && message.entries.length === 0 && message.commit >= (w1Index() ?? Infinity) ? [i] : []));
    await until(() => h.log.includes('answer w1') && new Set(toldW1().map((i) => h.sent[i]!.to)).size === 2, 'the answer and both peers told the commit');
    const applied = h.log.indexOf('apply w1');
    // Both peers are told w1's commit in the Ready that applies it, before the apply.
    for (const peer of peers) {
      const first = toldW1().find((i) => h.sent[i]!.to === peer)!;
      expect(h.sentAt[first], h.log.join('\n')).toBeLessThanOrEqual(applied);
    }
  });
});
