// Folds the receivers' records of messages dropped on arrival into the senders' records of the
// same messages, so each message shows once: as sent, and dropped at the receiver. The two
// records come from different members' taps and may arrive in different reads, so the fold runs
// over the newest part of the buffer each time something arrives.
import type { RaftMessageRecord } from '../contract';

/** Newest buffered messages searched for a drop's sender record (a few reads' worth). */
export const foldWindowMax = 600;

function sameMessage(a: RaftMessageRecord, b: RaftMessageRecord): boolean {
  return a.from === b.from && a.to === b.to && a.type === b.type && a.term === b.term && a.index === b.index && a.commit === b.commit;
}

function isArrivalDrop(message: RaftMessageRecord): boolean {
  return message.droppedAt === 'receiver' && message.seenBy === message.to;
}

/**
 * `messages` (sorted by time) with each receiver's drop folded into the oldest matching sender
 * record sent no later than the drop, within the newest `foldWindowMax`; a drop without one stays
 * as it is (its sender was not read yet, or not at all). Returns the same array when nothing folds.
 */
export function foldArrivalDrops(messages: RaftMessageRecord[]): RaftMessageRecord[] {
  const start = Math.max(0, messages.length - foldWindowMax);
  const tail = messages.slice(start);
  if (!tail.some(isArrivalDrop)) return messages;
  const folded = new Set<RaftMessageRecord>();
  const kept = [...tail];
  for (const drop of tail.filter(isArrivalDrop)) {
    const at = kept.findIndex((message) => !message.dropped && message.seenBy === message.from && message.atMs <= drop.atMs && sameMessage(message, drop));
    if (at < 0) continue;
    kept[at] = { ...kept[at]!, dropped: true, droppedAt: 'receiver' };
    folded.add(drop);
  }
  if (folded.size === 0) return messages;
  return [...messages.slice(0, start), ...kept.filter((message) => !folded.has(message))];
}
