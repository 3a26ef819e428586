// The same etcdctl script run directly against a cluster and through `rafter grpc-proxy`, for a
// Rafter cluster and for a real etcd 3.4 (each run on a fresh cluster, so revisions line up), and
// through etcd's own `etcd grpc-proxy` in front of etcd as the reference: the proxy's output must
// be the direct output, except where etcd's proxy differs from direct the same way (MemberList
// through a proxy lists the proxy).
import { describe, expect, it } from 'vitest';
import { etcdctl, etcdctlUntil, RafterCluster } from '../support/rafterCluster.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { ProxyProcess } from '../support/proxyProcess.js';

interface Step {
  readonly args: readonly string[];
  readonly input?: string;
  readonly watchLines?: number;
}

const script: Step[] = [
  { args: ['put', '/a', '1'] },
  { args: ['put', '/b', '2'] },
  { args: ['put', '/c/d', '3'] },
  { args: ['get', '/a'] },
  { args: ['get', '/', '--prefix'] },
  { args: ['get', '/', '--prefix', '--keys-only'] },
  { args: ['get', '/', '--prefix', '--limit', '2'] },
  { args: ['get', '/', '--prefix', '--order', 'DESCEND', '--sort-by', 'MODIFY'] },
  { args: ['get', '/b', '--from-key'] },
  { args: ['get', '/a', '-w', 'json'] },
  { args: ['get', '/', '--prefix', '--rev', '3', '-w', 'json'] },
  { args: ['get', '/a', '--consistency=s'] },
  { args: ['get', '/missing'] },
  { args: ['put', '/a', '11', '--prev-kv'] },
  { args: ['get', '/a', '--consistency=s'] },
  { args: ['put', '/a', '--ignore-value'], input: '' },
  { args: ['del', '/b', '--prev-kv'] },
  { args: ['txn', '-w', 'json'], input: 'value("/a") = "11"\n\nput /t yes\n\nput /t no\n\n' },
  { args: ['txn'], input: 'mod("/a") > "100"\n\nput /t yes\n\nput /t no\n\n' },
  { args: ['get', '/t'] },
  { args: ['compaction', '3'] },
  { args: ['get', '/a', '--rev', '2'] },
  { args: ['get', '/a', '--rev', '100'] },
  { args: ['put', '', 'empty-key'] },
  { args: ['get', ''] },
  { args: ['lease', 'revoke', '1234'] },
  { args: ['lease', 'timetolive', '1234'] },
  { args: ['put', '/k', 'v', '--lease=1234'] },
  { args: ['alarm', 'list'] },
  { args: ['member', 'list'] },
  { args: ['member', 'list', '-w', 'json'] },
  { args: ['endpoint', 'health'] },
  { args: ['endpoint', 'status'] },
  { args: ['endpoint', 'hashkv'] },
  { args: ['defrag'] },
  { args: ['lease', 'grant', '600'] },
  { args: ['lease', 'list'] },
  { args: ['put', '/leased', 'v', '--lease=<lease>'] },
  { args: ['lease', 'timetolive', '<lease>', '--keys'] },
  { args: ['lease', 'keep-alive', '--once', '<lease>'] },
  { args: ['lease', 'revoke', '<lease>'] },
  { args: ['get', '/leased'] },
  { args: ['lock', '/compat/lock', 'echo', 'locked'] },
  { args: ['put', '/w/x', 'watched'] },
  { args: ['watch', '/w/', '--prefix', '--rev', '4'], watchLines: 3 },
  { args: ['txn', '--interactive=false'], input: 'create("/w/x") > "0"\n\nget /w/x\n\n\n' },
  { args: ['del', '/', '--prefix'] },
  { args: ['get', '/', '--prefix', '-w', 'json'] },
];

/** Masks what differs between any two clusters or proxies: ids, ports, timings, host names. */
function mask(text: string): string {
  return text
    .replace(/\{"level":"warn".*\n?/g, '')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
    .replace(/"(cluster_id|member_id|ID|leader|raft_term)":\d+/g, '"$1":<n>')
    .replace(/\b[0-9a-f]{10,16}\b/g, '<id>')
    .replace(/took = [0-9.]+[µmn]?s/g, 'took = <t>')
    .replace(/remaining\(\d+s\)/g, 'remaining(<s>)')
    .replace(/\b\d+(\.\d+)? kB\b/g, '<size>');
}

async function runScript(endpoint: string): Promise<string[]> {
  const outputs: string[] = [];
  let lease = '';
  for (const original of script) {
    const step = { ...original, args: original.args.map((arg) => arg.replace('<lease>', lease)) };
    if (step.watchLines !== undefined) {
      const lines = step.watchLines;
      const text = await etcdctlUntil([endpoint], step.args, (out) => out.split('\n').length > lines);
      outputs.push(`$ etcdctl ${step.args.join(' ')}\n${mask(text.split('\n').slice(0, lines).join('\n'))}`);
      continue;
    }
    const result = await etcdctl([endpoint], step.args, step.input);
    lease = /lease ([0-9a-f]+) granted/.exec(result.stdout)?.[1] ?? lease;
    outputs.push(`$ etcdctl ${mask(step.args.join(' '))}\n${mask(`${result.stdout}${result.stderr}`).trimEnd()}\nexit ${result.code === 0 ? 0 : 'non-zero'}`);
  }
  return outputs;
}

/** Steps whose output through a proxy is not the direct output, in etcd's proxy as in Rafter's. */
const proxyAnswers = new Set(['member list', 'member list -w json']);

function differences(expected: string[], actual: string[], allowed: ReadonlySet<string>): string {
  const report: string[] = [];
  script.forEach((step, i) => {
    if (expected[i] !== actual[i] && !allowed.has(step.args.join(' '))) report.push(`--- expected\n${expected[i]}\n+++ actual\n${actual[i]}`);
  });
  return report.join('\n\n');
}

async function throughRafterProxy(endpoint: string): Promise<string[]> {
  const proxy = await ProxyProcess.start({ endpoints: [endpoint] });
  try {
    return await runScript(proxy.endpoint);
  } finally {
    await proxy.stop();
  }
}

describe('etcdctl through rafter grpc-proxy', () => {
  it('prints what it prints against real etcd directly, and what it prints through etcd grpc-proxy', async () => {
    const run = async (via: 'direct' | 'rafter' | 'etcd'): Promise<string[]> => {
      const etcd = await EtcdTestCluster.start();
      try {
        const endpoint = etcd.endpoints[0]!.replace(/^https?:\/\//, '');
        if (via === 'direct') return await runScript(endpoint);
        if (via === 'rafter') return await throughRafterProxy(endpoint);
        const proxy = await ProxyProcess.start({ endpoints: [endpoint], etcd: true });
        try {
          return await runScript(proxy.endpoint);
        } finally {
          await proxy.stop();
        }
      } finally {
        await etcd.stop();
      }
    };
    const direct = await run('direct');
    const rafter = await run('rafter');
    const etcdProxy = await run('etcd');
    expect(differences(direct, rafter, proxyAnswers)).toBe('');
    // Where Rafter's proxy answers for itself, it answers as etcd's does.
    const hostnames = (text: string | undefined): string => (text ?? '').replace(/"name":"[^"]*"|, [^,]+, , /g, '<host>');
    for (const step of proxyAnswers) {
      const i = script.findIndex((s) => s.args.join(' ') === step);
      expect(hostnames(rafter[i]), step).toBe(hostnames(etcdProxy[i]));
    }
  }, 120_000);

  it('prints what it prints against a Rafter cluster directly', async () => {
    const run = async (viaProxy: boolean): Promise<string[]> => {
      const cluster = await RafterCluster.start({ members: 1 });
      try {
        return viaProxy ? await throughRafterProxy(cluster.endpoints[0]!) : await runScript(cluster.endpoints[0]!);
      } finally {
        await cluster.stop();
      }
    };
    const direct = await run(false);
    const proxied = await run(true);
    expect(differences(direct, proxied, proxyAnswers)).toBe('');
  }, 120_000);
});
