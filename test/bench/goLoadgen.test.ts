// The Go load generator (bench/goloadgen, on etcd's clientv3) builds offline from Debian's
// sources and drives each of its workloads against a real Rafter member without errors. Speed
// is not asserted here: `npm run bench` measures it. Skipped, saying why, where Go or
// golang-etcd-server-dev is missing (.ci/run installs both).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGoLoadgen, debianGoPath, runLoad } from '../../bench/goLoadgen.js';
import { RafterCluster } from '../support/rafterCluster.js';

const goMissing = spawnSync('go', ['version']).status !== 0
  ? 'no `go` on PATH'
  : existsSync(path.join(debianGoPath, 'src/go.etcd.io/etcd/clientv3')) ? undefined : `no etcd client sources under ${debianGoPath}`;
if (goMissing !== undefined) {
  process.stderr.write(`test/bench/goLoadgen.test.ts skipped: ${goMissing} (install golang-go and golang-etcd-server-dev)\n`);
}
const runTimeoutMs = 60_000;

describe.skipIf(goMissing !== undefined)('the Go load generator', () => {
  let dir: string;
  let binary: string;
  let cluster: RafterCluster;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'goloadgen-test-'));
    const [build, started] = await Promise.all([buildGoLoadgen(dir), RafterCluster.start({ members: 1, extraArgs: ['--log-level=warn'] })]);
    cluster = started;
    if (!build.ok) throw new Error(build.reason);
    binary = build.binary;
  }, 600_000);

  afterAll(async () => {
    await cluster?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('does exactly the puts, txns and ranges it is asked for, with no errors', async () => {
    const cases: [string[], number][] = [
      [['--op', 'put', '--total', '20', '--clients', '4', '--conns', '2'], 20],
      [['--op', 'txn', '--total', '10', '--clients', '2'], 10],
      [['--op', 'range-linearizable', '--keys', '5', '--total', '10', '--clients', '2'], 10],
      [['--op', 'range-serializable', '--keys', '5', '--total', '10', '--clients', '2'], 10],
      [['--op', 'range-prefix', '--range-keys', '5', '--total', '3', '--clients', '1'], 3],
    ];
    for (const [args, ops] of cases) {
      const result = await runLoad(binary, cluster.endpoints, args, runTimeoutMs);
      expect({ op: result.op, ops: result.ops, errors: result.errors, firstError: result.firstError }).toEqual({ op: args[1], ops, errors: 0, firstError: '' });
    }
    const read = await cluster.etcdctl(['get', '/benchrange/', '--prefix', '--keys-only']);
    expect(read.stdout.split('\n').filter((line) => line !== '')).toEqual(['000000', '000001', '000002', '000003', '000004'].map((n) => `/benchrange/${n}`));
  });

  it('delivers every event of the writes it makes to every watcher', async () => {
    const result = await runLoad(binary, cluster.endpoints, ['--op', 'watch', '--watchers', '3', '--rate', '40', '--keys', '10', '--conns', '2', '--seconds', '0.5', '--warmup', '0.2'], runTimeoutMs);
    expect(result.errors).toBe(0);
    expect(result.ops).toBeGreaterThan(0);
    expect(result.eventsExpected).toBe(result.ops * 3);
    expect(result.eventsDelivered).toBe(result.eventsExpected);
  });

  it.each(['bench/http2Stub.ts', 'bench/framedStub.ts'])('gets an answer to every put from the no-op server the bench measures in %s', async (file) => {
    const stub = spawn(process.execPath, ['--import', 'tsx', path.join(process.cwd(), file), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<string>((resolve) => stub.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
      const puts = await runLoad(binary, [`127.0.0.1:${port}`], ['--op', 'put', '--total', '50', '--clients', '5', '--conns', '2'], runTimeoutMs);
      expect({ ops: puts.ops, errors: puts.errors, firstError: puts.firstError }).toEqual({ ops: 50, errors: 0, firstError: '' });
      const txns = await runLoad(binary, [`127.0.0.1:${port}`], ['--op', 'txn', '--total', '3', '--clients', '1'], runTimeoutMs);
      expect(txns.errors).toBe(3);
      expect(txns.firstError).toContain('Unimplemented');
    } finally {
      stub.kill('SIGTERM');
    }
  });

  it('serves a no-op KV to measure its own ceiling', async () => {
    const stub = spawn(binary, ['--stub', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<string>((resolve) => stub.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
      const result = await runLoad(binary, [`127.0.0.1:${port}`], ['--op', 'put', '--total', '10', '--clients', '2'], runTimeoutMs);
      expect({ ops: result.ops, errors: result.errors }).toEqual({ ops: 10, errors: 0 });
    } finally {
      stub.kill('SIGTERM');
    }
  });
});
