// Membership changes on a RafterCluster of real processes, done as an operator does them through
// the Cluster API: remove a member (it notices and shuts down), wipe its data directory, add it
// back under the same name and URLs (a new member id) as a voter or as a learner that is promoted
// once it has caught up. Used by the fault scheduler to change membership under load. It owns the
// API calls and the process bookkeeping; choosing when to do it is the scheduler's job.
import fs from 'node:fs/promises';
import { EtcdClient } from '../../core/client/etcdClient.js';
import type { Member } from '../../core/client/clusterClient.js';
import { EtcdError } from '../../core/client/etcdError.js';
import type { RafterCluster, RafterMember } from './rafterCluster.js';

/** Attempts of one membership call (each bounded by its own deadline) before giving up. */
export const membershipAttemptsMax = 40;
/** Polls for a removed member's process to exit on its own before it is killed. */
export const removedExitPollsMax = 100;
const callTimeoutMs = 5_000;
const pollPauseMs = 100;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A client on every running member except `excluded`. */
function clientOfOthers(cluster: RafterCluster, excluded: RafterMember): EtcdClient {
  const endpoints = cluster.members.filter((m) => m !== excluded && m.process !== undefined).map((m) => `127.0.0.1:${m.clientPort}`);
  if (endpoints.length === 0) throw new Error(`no running member besides ${excluded.name} to change membership through`);
  return new EtcdClient({ endpoints });
}

/** Retries a membership call until `attempt` settles it (bounded); returns its result. */
async function retried<T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < membershipAttemptsMax; i++) {
    try {
      const result = await attempt();
      if (result !== undefined) return result;
    } catch (error) {
      last = error;
    }
    await sleep(pollPauseMs);
  }
  throw new Error(`${what} did not succeed after ${membershipAttemptsMax} attempts: ${message(last)}`);
}

/** The member id (hex) a running member reports for itself. */
export async function memberIdOf(cluster: RafterCluster, member: RafterMember): Promise<string> {
  return (await cluster.raftStatus(member)).memberId;
}

/**
 * Removes the member with id `idHex` through the others. A call whose outcome is unknown is
 * retried; "member not found" then means an earlier attempt removed it.
 */
export async function removeMember(cluster: RafterCluster, member: RafterMember, idHex: string): Promise<void> {
  const client = clientOfOthers(cluster, member);
  try {
    await retried(`removing ${member.name} (${idHex})`, async () => {
      try {
        await client.cluster.memberRemove(BigInt(`0x${idHex}`), { timeoutMs: callTimeoutMs });
      } catch (error) {
        if (!(error instanceof EtcdError && error.is('etcdserver: member not found'))) throw error;
      }
      return true;
    });
  } finally {
    client.close();
  }
  // A removed member shuts itself down once it learns of its removal; it is killed if it does not.
  for (let poll = 0; poll < removedExitPollsMax && member.process !== undefined; poll++) await sleep(pollPauseMs);
  if (member.process !== undefined) await cluster.kill(member, 'SIGKILL');
}

/** Deletes everything the member had on disk (a lost or replaced disk). */
export async function wipe(member: RafterMember): Promise<void> {
  await fs.rm(member.dataDir, { recursive: true, force: true });
}

/**
 * Adds the (stopped, wiped) member back under its name and URLs, starts it with
 * --initial-cluster-state existing, and for a learner promotes it once the leader accepts that
 * it has caught up. A MemberAdd of unknown outcome is settled by listing the members, so the
 * member is never added twice.
 */
export async function addBack(cluster: RafterCluster, member: RafterMember, options: { learner: boolean; log?: (line: string) => void }): Promise<void> {
  const log = options.log ?? ((): void => undefined);
  const client = clientOfOthers(cluster, member);
  try {
    const added = await retried(`adding ${member.name} back`, async (): Promise<Member> => {
      const listed = await client.cluster.memberList({ timeoutMs: callTimeoutMs });
      const existing = listed.members.find((m) => m.peerUrls.includes(member.peerUrl));
      if (existing !== undefined) return existing;
      return (await client.cluster.memberAdd([member.peerUrl], { isLearner: options.learner, timeoutMs: callTimeoutMs })).member;
    });
    const listed = await client.cluster.memberList({ timeoutMs: callTimeoutMs });
    member.initialCluster = listed.members
      .map((m) => `${m.idHex === added.idHex ? member.name : nameOf(cluster, m)}=${m.peerUrls[0] ?? ''}`)
      .join(',');
    member.initialState = 'existing';
    log(`${member.name} added as ${added.idHex}; starting it with --initial-cluster ${member.initialCluster}`);
    await cluster.restart(member);
    log(`${member.name} started`);
    if (options.learner) {
      await retried(`promoting learner ${member.name}`, async () => {
        try {
          await client.cluster.memberPromote(BigInt(`0x${added.idHex}`), { timeoutMs: callTimeoutMs });
        } catch (error) {
          // Not caught up yet, or a retried promotion that already took effect.
          if (error instanceof EtcdError && error.is('etcdserver: can only promote a learner member')) return true;
          throw error;
        }
        return true;
      });
      log(`learner ${member.name} promoted`);
    }
  } finally {
    client.close();
  }
}

function nameOf(cluster: RafterCluster, member: Member): string {
  if (member.name !== '') return member.name;
  const known = cluster.members.find((m) => member.peerUrls.includes(m.peerUrl));
  if (known === undefined) throw new Error(`member ${member.idHex} (${member.peerUrls.join(',')}) is not one of the test cluster's`);
  return known.name;
}
