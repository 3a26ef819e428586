// Users, roles and permissions driven with the real etcdctl against a fresh 3-member Rafter cluster
// and a fresh 3-member etcd 3.4, comparing etcdctl's full output (stdout, stderr, exit status)
// step by step after masking what differs between any two clusters. The script walks etcd's auth
// workflow: bad input refused with nothing changed, enabling auth, unauthenticated calls refused,
// a read-only user, a range and a single-key permission, transactions and watches touching
// forbidden keys, revoking a role and deleting a user taking effect at once, and disabling auth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdctl, etcdctlUntil, RafterCluster } from '../support/rafterCluster.js';
import { EtcdTestCluster } from '../support/etcd.js';

interface Step {
  readonly args: readonly string[];
  readonly input?: string;
  /** A watch: stop once it has printed this many lines (or exited). */
  readonly watchLines?: number;
}

const root = ['--user', 'root:rootpw'];
const alice = ['--user', 'alice:alicepw'];
const bob = ['--user', 'bob:bobpw'];

const script: Step[] = [
  // Bad input while auth is off: etcd's errors, and nothing changed. (etcdctl's `auth enable`
  // itself adds the root role to an existing root user, so "root user does not have root role"
  // is checked with the client in authApi.test.ts.)
  { args: ['user', 'add', ':pw'] },
  { args: ['role', 'add', ''] },
  { args: ['auth', 'enable'] },
  { args: ['user', 'add', 'root:rootpw'] },
  { args: ['user', 'add', 'root:other'] },
  { args: ['user', 'list'] },
  { args: ['role', 'add', 'root'] },
  { args: ['user', 'grant-role', 'root', 'root'] },
  { args: ['user', 'grant-role', 'root', 'nosuchrole'] },
  { args: ['user', 'grant-role', 'nosuchuser', 'root'] },
  // A read-only role on a prefix, a read-write role on one key and a write-only range.
  { args: ['role', 'add', 'reader'] },
  { args: ['role', 'add', 'reader'] },
  { args: ['role', 'grant-permission', 'reader', 'read', '/app/', '--prefix'] },
  { args: ['role', 'add', 'writer'] },
  { args: ['role', 'grant-permission', 'writer', 'readwrite', '/data/k'] },
  { args: ['role', 'grant-permission', 'writer', 'write', '/r1', '/r5'] },
  { args: ['role', 'grant-permission', 'writer', 'read', '/z', '/a'] },
  { args: ['role', 'grant-permission', 'nosuchrole', 'read', '/x'] },
  { args: ['role', 'get', 'reader'] },
  { args: ['role', 'get', 'writer'] },
  { args: ['role', 'get', 'nosuchrole'] },
  { args: ['role', 'list'] },
  { args: ['user', 'add', 'alice:alicepw'] },
  { args: ['user', 'grant-role', 'alice', 'reader'] },
  { args: ['user', 'add', 'bob:bobpw'] },
  { args: ['user', 'grant-role', 'bob', 'writer'] },
  { args: ['user', 'get', 'alice'] },
  { args: ['user', 'get', 'nosuchuser'] },
  { args: ['user', 'revoke-role', 'alice', 'writer'] },
  { args: ['put', '/app/x', '1'] },
  { args: ['auth', 'enable'] },
  { args: ['auth', 'enable'] },
  // Unauthenticated and wrongly authenticated calls.
  { args: ['get', '/app/x'] },
  { args: ['put', '/app/x', '2'] },
  { args: ['user', 'list'] },
  { args: [...alice.slice(0, 1), 'alice:wrong', 'get', '/app/x'] },
  { args: ['--user', 'nobody:pw', 'get', '/app/x'] },
  // Root does everything.
  { args: [...root, 'put', '/app/x', '2'] },
  { args: [...root, 'put', '/other', 'o'] },
  { args: [...root, 'get', '', '--from-key', '--keys-only'] },
  { args: [...root, 'user', 'list'] },
  { args: [...root, 'role', 'list'] },
  { args: [...root, 'member', 'list', '-w', 'json'] },
  { args: [...root, 'alarm', 'list'] },
  // The read-only user reads its prefix and nothing else, and writes nothing.
  { args: [...alice, 'get', '/app/x'] },
  { args: [...alice, 'get', '/app/', '--prefix'] },
  { args: [...alice, 'get', '/other'] },
  { args: [...alice, 'get', '/', '--prefix'] },
  { args: [...alice, 'put', '/app/x', '3'] },
  { args: [...alice, 'del', '/app/x'] },
  { args: [...alice, 'user', 'list'] },
  { args: [...alice, 'user', 'get', 'alice'] },
  { args: [...alice, 'user', 'get', 'bob'] },
  { args: [...alice, 'role', 'get', 'reader'] },
  { args: [...alice, 'role', 'get', 'writer'] },
  { args: [...alice, 'auth', 'disable'] },
  { args: [...alice, 'alarm', 'list'] },
  { args: [...alice, 'endpoint', 'hashkv'] },
  { args: [...alice, 'defrag'] },
  { args: [...alice, 'compaction', '2'] },
  // A transaction touching a forbidden key in either branch, or in a compare, is refused.
  { args: [...alice, 'txn'], input: 'value("/app/x") = "2"\n\nget /app/x\n\nget /app/x\n\n' },
  { args: [...alice, 'txn'], input: 'value("/app/x") = "2"\n\nget /app/x\n\nput /app/x 9\n\n' },
  { args: [...alice, 'txn'], input: 'value("/app/x") = "2"\n\nput /app/x 9\n\nget /app/x\n\n' },
  { args: [...alice, 'txn'], input: 'value("/other") = "o"\n\nget /app/x\n\n\n' },
  { args: [...bob, 'txn'], input: 'value("/data/k") = ""\n\nput /data/k 1\n\nput /r2 1\n\n' },
  { args: [...bob, 'txn'], input: 'value("/data/k") = ""\n\nput /data/k 1\n\nput /r9 1\n\n' },
  // Single-key and range permissions.
  { args: [...bob, 'put', '/data/k', 'kv'] },
  { args: [...bob, 'get', '/data/k'] },
  { args: [...bob, 'put', '/data/k2', 'v'] },
  { args: [...bob, 'put', '/r3', 'v'] },
  { args: [...bob, 'get', '/r3'] },
  { args: [...bob, 'del', '/r1', '/r5'] },
  { args: [...bob, 'del', '/r1', '/r6'] },
  { args: [...bob, 'put', '/r3', 'v', '--prev-kv'] },
  // Locks and leases run as the caller.
  { args: [...alice, 'lock', '/app/lock', 'echo', 'locked'] },
  { args: [...bob, 'lock', '/data/k', 'echo', 'locked'] },
  { args: [...root, 'lock', '/app/lock', 'echo', 'locked'] },
  { args: [...alice, 'elect', '--listen', '/forbidden-election'], watchLines: 1 },
  { args: [...alice, 'lease', 'list'] },
  { args: [...alice, 'lease', 'timetolive', '1234'] },
  // A watch on a forbidden prefix is refused.
  { args: [...alice, 'watch', '/other', '--prefix'], watchLines: 2 },
  { args: [...alice, 'watch', '/', '--prefix'], watchLines: 2 },
  // Revoking a role, a permission, and deleting a user take effect at once.
  { args: [...root, 'role', 'revoke-permission', 'writer', '/r1', '/r5'] },
  { args: [...root, 'role', 'revoke-permission', 'writer', '/r1', '/r5'] },
  { args: [...bob, 'put', '/r3', 'v'] },
  { args: [...root, 'user', 'revoke-role', 'alice', 'reader'] },
  { args: [...root, 'user', 'revoke-role', 'alice', 'reader'] },
  { args: [...alice, 'get', '/app/x'] },
  { args: [...root, 'user', 'delete', 'bob'] },
  { args: [...bob, 'get', '/data/k'] },
  { args: [...root, 'user', 'delete', 'bob'] },
  { args: [...root, 'user', 'passwd', 'alice', '--interactive=false'], input: 'newpw\n' },
  { args: [...alice, 'get', '/app/x'] },
  { args: ['--user', 'alice:newpw', 'get', '/app/x'] },
  // Root may not lose its role or be deleted while auth is on.
  { args: [...root, 'user', 'revoke-role', 'root', 'root'] },
  { args: [...root, 'user', 'delete', 'root'] },
  { args: [...root, 'role', 'delete', 'root'] },
  { args: [...root, 'role', 'delete', 'reader'] },
  { args: [...root, 'user', 'get', 'alice'] },
  { args: [...root, 'auth', 'disable'] },
  { args: ['get', '/app/x'] },
  { args: ['auth', 'disable'] },
  { args: ['user', 'list'] },
  { args: ['role', 'list'] },
];

/** Masks what differs between any two clusters: ids, ports, timings, terms. */
function mask(text: string): string {
  return text
    .replace(/\{"level":"warn".*\n?/g, '')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
    .replace(/"(cluster_id|member_id|ID|leader|raft_term|revision)":\d+/g, '"$1":<n>')
    .replace(/\b[0-9a-f]{10,16}\b/g, '<id>')
    .replace(/took = [0-9.]+[µmn]?s/g, 'took = <t>')
    .replace(/\b(m[1-3])\b/g, '<name>');
}

async function runScript(endpoints: readonly string[]): Promise<string[]> {
  const outputs: string[] = [];
  for (const step of script) {
    if (step.watchLines !== undefined) {
      const lines = step.watchLines;
      const text = await etcdctlUntil([endpoints[0]!], step.args, (out) => out.split('\n').length > lines, 20_000, true);
      outputs.push(`$ etcdctl ${step.args.join(' ')}\n${mask(text.split('\n').slice(0, lines).join('\n'))}`);
      continue;
    }
    const result = await etcdctl(endpoints, step.args, step.input);
    outputs.push(`$ etcdctl ${step.args.join(' ')}\n${mask(`${result.stdout}${result.stderr}`).trimEnd()}\nexit ${result.code === 0 ? 0 : 'non-zero'}`);
  }
  return outputs;
}

/**
 * Differences kept on purpose (docs/compatibility.md). etcd 3.4.23 (the reference installed here) accepts a permission
 * whose range end sorts before its key, a range naming no key; etcd 3.4.25 and 3.5 refuse it
 * with "invalid auth management", and so does Rafter (see docs/compatibility.md).
 */
const knownDifferences = new Set<string>([
  'role grant-permission writer read /z /a',
  'role get writer',
  // etcd's releases since March 2026 let only root compact (3.4.23 let any user); Rafter does too.
  '--user alice:alicepw compaction 2',
]);

let rafterOutputs: string[] = [];
let etcdOutputs: string[] = [];

beforeAll(async () => {
  const etcd = await EtcdTestCluster.start({ members: 3 });
  try {
    etcdOutputs = await runScript(etcd.endpoints.map((url) => url.replace(/^https?:\/\//, '')));
  } finally {
    await etcd.stop();
  }
  const rafter = await RafterCluster.start({ members: 3 });
  try {
    rafterOutputs = await runScript(rafter.endpoints);
  } finally {
    await rafter.stop();
  }
}, 300_000);

afterAll(() => undefined);

describe('etcdctl auth commands against Rafter and against etcd 3.4', () => {
  it('print the same output, step by step', () => {
    const report: string[] = [];
    const differing = new Set<string>();
    for (let i = 0; i < script.length; i++) {
      const command = script[i]!.args.join(' ');
      if (rafterOutputs[i] === etcdOutputs[i]) continue;
      differing.add(command);
      if (!knownDifferences.has(command)) report.push(`--- etcd\n${etcdOutputs[i]}\n+++ rafter\n${rafterOutputs[i]}`);
    }
    expect(report.join('\n\n')).toBe('');
    expect([...knownDifferences].filter((command) => !differing.has(command)), 'documented differences that no longer differ').toEqual([]);
  });
});
