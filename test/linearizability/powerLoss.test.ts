// Power loss, on a filesystem that forgets unsynced writes (test/support/lazyFs.py, like the
// LazyFS etcd's robustness tests use): a 3-member cluster with every data directory on it runs the
// seeded workload, then every member and the filesystem lose power at once, the members start
// again on what reached the disk, and every check of a torture run judges the history. With
// fsync (the default) nothing acknowledged is lost and every check passes. With
// --unsafe-no-fsync the same run must be caught — acknowledged writes missing, members that
// disagree, or a member that cannot start — which shows the suite detects lost writes.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LazyFs } from '../support/lazyFs.js';
import { RafterCluster } from '../support/rafterCluster.js';
import { Workload } from '../support/workload.js';
import { checkRecord, describeFailures, hashesConverge } from './tortureRun.js';

const seed = 20_261_124;
/** Unsynced writes older than this reach the disk anyway, as the kernel's writeback would. */
const writebackMs = 1_500;
/** Operations the workload records before the power goes. */
const operationsBeforeLoss = 1_500;
/** Polls (50 ms apart) for the workload to record them. */
const workloadPollsMax = 1_200;
const runTimeoutMs = 180_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface PowerLossOutcome {
  readonly acknowledgedWrites: number;
  /** Everything a check found wrong, including a member that did not come back. */
  readonly failures: string[];
}

async function powerLossRun(unsafeNoFsync: boolean): Promise<PowerLossOutcome> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'rafter-power-loss-'));
  const lazy = await LazyFs.mount(path.join(base, 'disk'), path.join(base, 'mnt'), writebackMs);
  let cluster: RafterCluster | undefined;
  let workload: Workload | undefined;
  try {
    cluster = await RafterCluster.start({ members: 3, parentDir: lazy.mountpoint, extraArgs: unsafeNoFsync ? ['--unsafe-no-fsync'] : [] });
    const c = cluster;
    workload = await Workload.start({ members: c.members.map((m) => ({ name: m.name, endpoint: `127.0.0.1:${m.clientPort}` })), seed, clients: 4, keys: 5 });
    for (let poll = 0; poll < workloadPollsMax && workload.operations < operationsBeforeLoss; poll++) await sleep(50);
    await workload.stop();
    const acknowledgedWrites = workload.counts.known;
    // The power goes: every member and the disk at the same moment.
    await Promise.all(c.members.map((m) => c.kill(m, 'SIGKILL')));
    await lazy.powerLoss();
    try {
      await c.restartAll(c.members);
    } catch (error) {
      return { acknowledgedWrites, failures: [`a member did not come back after the power loss: ${error instanceof Error ? error.message.split('\n').slice(0, 12).join('\n') : String(error)}`] };
    }
    const record = await workload.finish();
    const hashes = await hashesConverge(c);
    return { acknowledgedWrites, failures: describeFailures({ ...checkRecord(record), hashesEqual: hashes.equal, hashes: hashes.hashes }) };
  } finally {
    workload?.abort();
    await cluster?.stop();
    await lazy.unmount();
    await fs.rm(base, { recursive: true, force: true });
  }
}

describe('power loss of the whole cluster', () => {
  it('loses no acknowledged write when members fsync before they acknowledge', async () => {
    const outcome = await powerLossRun(false);
    console.log(`power loss with fsync: ${outcome.acknowledgedWrites} operations acknowledged, ${outcome.failures.length} problems found`);
    expect(outcome.acknowledgedWrites).toBeGreaterThan(500);
    expect(outcome.failures).toEqual([]);
  }, runTimeoutMs);

  it('is caught by the checks when fsync is removed (--unsafe-no-fsync)', async () => {
    const outcome = await powerLossRun(true);
    const lost = outcome.failures.filter((f) => f.startsWith('lost write')).length;
    console.log(`power loss without fsync: ${outcome.acknowledgedWrites} operations acknowledged, ${outcome.failures.length} problems found (${lost} lost writes); first: ${outcome.failures[0]?.split('\n').slice(0, 4).join('\n')}`);
    expect(outcome.acknowledgedWrites).toBeGreaterThan(500);
    expect(outcome.failures.length).toBeGreaterThan(0);
  }, runTimeoutMs);
});
