// etcd's --force-new-cluster: a member restarted from its data as the only member of its cluster,
// for an operator whose cluster lost its quorum for good. As etcd does, entries past the commit
// index are dropped, and configuration changes removing every other member (and promoting this one
// if it is a learner) are appended as committed and saved to the WAL before Raft starts, so they
// are applied like any other entry and a restart without the flag stays one-member. The cluster
// id, the keys and the revisions are kept. Opening the data directory is dataDir.ts's job.
import { applyChange, decodeConfChange, encodeConfChange, type ConfChange } from '../raft/confChange.js';
import { index, type ConfState, type Entry, type HardState, type NodeId } from '../raft/types.js';
import { encodeConfChangeContext } from './applier.js';
import type { RecoveredState } from './dataDir.js';

/** The configuration as of the commit index: the snapshot's, then the committed changes after it. */
function committedConf(recovered: RecoveredState): ConfState {
  const { storage } = recovered;
  let conf = storage.snapshot().meta.conf;
  const commit = storage.hardState().commit;
  const first = storage.firstIndex();
  if (commit < first) return conf;
  for (const entry of storage.entries(first, index(commit + 1), Number.MAX_SAFE_INTEGER)) {
    if (entry.type !== 'confChange') continue;
    try {
      conf = applyChange(conf, decodeConfChange(entry.data));
    } catch {
      // Raft refused this change when it was applied too; it changed nothing.
    }
  }
  return conf;
}

/** The changes that leave `self` the only voter. */
export function standaloneChanges(conf: ConfState, self: NodeId): ConfChange[] {
  const context = encodeConfChangeContext({ requestId: '0', member: null });
  const changes: ConfChange[] = [];
  if (conf.learners.includes(self)) changes.push({ type: 'promoteLearner', nodeId: self, context });
  for (const id of [...conf.voters, ...conf.learners]) if (id !== self) changes.push({ type: 'removeVoter', nodeId: id, context });
  return changes;
}

/**
 * Rewrites the recovered log so this member is the cluster's only member, durably. Returns the
 * ids removed (empty when it already was alone, and nothing is written then).
 */
export async function forceNewCluster(recovered: RecoveredState): Promise<NodeId[]> {
  const { storage, wal, memberId } = recovered;
  const changes = standaloneChanges(committedConf(recovered), memberId);
  if (changes.length === 0) return [];
  const hardState = storage.hardState();
  const commit = Math.max(hardState.commit, storage.snapshot().meta.index);
  const entries: Entry[] = changes.map((change, i) => ({ term: hardState.term, index: index(commit + 1 + i), type: 'confChange', data: encodeConfChange(change) }));
  const forced: HardState = { term: hardState.term, vote: hardState.vote, commit: index(commit + entries.length) };
  await wal.save(forced, entries);
  storage.append(entries);
  storage.setHardState(forced);
  return changes.filter((change) => change.type === 'removeVoter').map((change) => change.nodeId);
}
