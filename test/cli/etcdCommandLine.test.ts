// `rafter` against the real etcd 3.4 as an operator's unit files meet them: --version and --help
// in etcd's layout and groups, zap log lines with etcd's fields, and one etcd config file (and the
// same settings as ETCD_* variables) starting both etcd and a Rafter member unchanged.
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil, spawnMember, stopProcess } from '../support/memberProcess.js';
import { freePorts } from '../support/ports.js';
import { etcdctl } from '../support/rafterCluster.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const rafterBin = path.join(root, 'bin', 'rafter.js');
const run = promisify(execFile);

/** Flag name → its group's name, lower case, without etcd's "(to be deprecated …)" remarks. */
function flagGroups(help: string): Map<string, string> {
  const groups = new Map<string, string>();
  let group = '';
  for (const line of help.split('\n')) {
    const header = /^([A-Za-z0-9][^:]*):$/.exec(line);
    if (header) group = header[1]!.replace(/\s*\(.*\)$/, '').toLowerCase();
    const flag = /^ {2}--([a-z0-9-]+)/.exec(line);
    if (flag && group !== '') groups.set(flag[1]!, group);
  }
  return groups;
}

describe('rafter --version and --help', () => {
  it("prints its version, the etcd API version, Node's version and the platform in etcd's layout", async () => {
    const etcd = (await run('etcd', ['--version'])).stdout.trim().split('\n');
    const rafter = (await run(process.execPath, [rafterBin, '--version'])).stdout.trim().split('\n');
    const layout = /^[A-Za-z0-9 /]+: \S.*$/;
    for (const line of [...etcd, ...rafter]) expect(line).toMatch(layout);
    expect(etcd[0]).toMatch(/^etcd Version: 3\.4\./);
    const packageJson = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(rafter).toEqual([`Rafter Version: ${packageJson.version}`, 'etcd API Version: 3.4.0', `Node Version: ${process.version}`, `Node OS/Arch: ${process.platform}/${process.arch}`]);
  });

  it("lists every flag of etcd's help in the same group as etcd does", async () => {
    const etcdHelp = await run('etcd', ['--help']).then(
      (result) => result.stdout + result.stderr,
      (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
    );
    const etcd = flagGroups(etcdHelp);
    expect(etcd.size).toBeGreaterThan(70);
    const rafter = flagGroups((await run(process.execPath, [rafterBin, '--help'])).stdout);
    for (const [flag, group] of etcd) expect(`${flag}: ${rafter.get(flag) ?? 'missing'}`).toBe(`${flag}: ${group}`);
  });
});

/** Settings of one member, written once as an etcd YAML config file and once as ETCD_* variables. */
interface MemberSettings {
  readonly dataDir: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
}

function configFile(settings: MemberSettings): string {
  const peer = `http://127.0.0.1:${settings.peerPort}`;
  const client = `http://127.0.0.1:${settings.clientPort}`;
  return [
    "name: 'infra0'",
    `data-dir: ${settings.dataDir}`,
    'wal-dir:',
    'snapshot-count: 10000',
    'heartbeat-interval: 100',
    'election-timeout: 1000',
    `listen-peer-urls: ${peer}`,
    `listen-client-urls: ${client}`,
    `listen-metrics-urls: http://127.0.0.1:${settings.metricsPort}`,
    'max-snapshots: 5',
    'max-wals: 5',
    'cors:',
    `initial-advertise-peer-urls: ${peer}`,
    `advertise-client-urls: ${client}`,
    'discovery:',
    "discovery-fallback: 'proxy'",
    `initial-cluster: infra0=${peer}`,
    "initial-cluster-token: 'etcd-cluster'",
    "initial-cluster-state: 'new'",
    'strict-reconfig-check: false',
    'enable-v2: true',
    'enable-pprof: false',
    "proxy: 'off'",
    'client-transport-security:',
    '  cert-file:',
    '  key-file:',
    '  client-cert-auth: false',
    '  trusted-ca-file:',
    '  auto-tls: false',
    'peer-transport-security:',
    '  cert-file:',
    '  key-file:',
    '  client-cert-auth: false',
    '  trusted-ca-file:',
    '  auto-tls: false',
    'logger: zap',
    'log-outputs: [stderr]',
    'log-level: info',
    'force-new-cluster: false',
    'auto-compaction-mode: periodic',
    'auto-compaction-retention: "1"',
    '',
  ].join('\n');
}

function environment(settings: MemberSettings): Record<string, string> {
  const peer = `http://127.0.0.1:${settings.peerPort}`;
  const client = `http://127.0.0.1:${settings.clientPort}`;
  return {
    ETCD_NAME: 'infra0',
    ETCD_DATA_DIR: settings.dataDir,
    ETCD_LISTEN_PEER_URLS: peer,
    ETCD_LISTEN_CLIENT_URLS: client,
    ETCD_LISTEN_METRICS_URLS: `http://127.0.0.1:${settings.metricsPort}`,
    ETCD_INITIAL_ADVERTISE_PEER_URLS: peer,
    ETCD_ADVERTISE_CLIENT_URLS: client,
    ETCD_INITIAL_CLUSTER: `infra0=${peer}`,
    ETCD_INITIAL_CLUSTER_TOKEN: 'etcd-cluster',
    ETCD_INITIAL_CLUSTER_STATE: 'new',
    ETCD_HEARTBEAT_INTERVAL: '100',
    ETCD_ELECTION_TIMEOUT: '1000',
    ETCD_MAX_SNAPSHOTS: '5',
    ETCD_MAX_WALS: '5',
    ETCD_ENABLE_V2: 'true',
    ETCD_LOGGER: 'zap',
    ETCD_LOG_OUTPUTS: 'stderr',
    ETCD_AUTO_COMPACTION_RETENTION: '1',
  };
}

describe("an etcd 3.4 member's configuration starts a Rafter member unchanged", () => {
  let scratch: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'rafter-etcd-config-'));
  });
  afterAll(async () => {
    await Promise.all(children.map((child) => stopProcess(child, 'SIGTERM', 10_000)));
    await rm(scratch, { recursive: true, force: true });
  });

  async function settings(name: string): Promise<MemberSettings> {
    const [clientPort, peerPort, metricsPort] = await freePorts(3);
    return { dataDir: path.join(scratch, name), clientPort: clientPort!, peerPort: peerPort!, metricsPort: metricsPort! };
  }

  /** Starts `command args` with `env` added to a clean environment and waits until its metrics listener answers /health. */
  async function startMember(command: string, args: readonly string[], env: Record<string, string>, member: MemberSettings): Promise<string[]> {
    const log: string[] = [];
    let exited: string | null = null;
    const child = spawnMember({ command, args, env: { PATH: process.env['PATH'] ?? '', ...env }, log, logLinesMax: 500, onClose: (code) => (exited = `exited with ${code}`) });
    children.push(child);
    await pollUntil(
      async () => {
        if (exited !== null) throw new Error(`${command} ${exited}:\n${log.join('\n')}`);
        const response = await fetch(`http://127.0.0.1:${member.metricsPort}/health`, { signal: AbortSignal.timeout(1_000) }).catch(() => null);
        return response?.status === 200;
      },
      { pollsMax: 400, pauseMs: 50, failure: () => new Error(`${command} never became healthy:\n${log.join('\n')}`) },
    );
    return log;
  }

  async function expectServes(member: MemberSettings): Promise<void> {
    const endpoint = [`127.0.0.1:${member.clientPort}`];
    expect((await etcdctl(endpoint, ['put', 'greeting', 'hello'])).code).toBe(0);
    expect((await etcdctl(endpoint, ['get', 'greeting', '--print-value-only'])).stdout).toBe('hello\n');
    const metrics = await fetch(`http://127.0.0.1:${member.metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('etcd_server_has_leader 1');
    // The metrics listener serves monitoring only, not the client API.
    expect((await fetch(`http://127.0.0.1:${member.metricsPort}/v3/kv/range`, { method: 'POST', body: '{}' })).status).toBe(404);
  }

  /** The zap lines of a log: JSON objects whose first four keys are etcd's. */
  function expectZapLines(log: readonly string[]): Record<string, unknown>[] {
    const lines = log.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(Object.keys(line).slice(0, 4)).toEqual(['level', 'ts', 'caller', 'msg']);
      expect(line['ts']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    return lines;
  }

  it('from the same YAML config file as etcd, with etcd-shaped JSON log lines', async () => {
    const etcd = await settings('etcd-file');
    const etcdFile = path.join(scratch, 'etcd.yml');
    await writeFile(etcdFile, configFile(etcd));
    const etcdLog = await startMember('etcd', ['--config-file', etcdFile], {}, etcd);
    await expectServes(etcd);

    const rafter = await settings('rafter-file');
    const rafterFile = path.join(scratch, 'rafter.yml');
    await writeFile(rafterFile, configFile(rafter));
    const rafterLog = await startMember(process.execPath, [rafterBin, '--config-file', rafterFile], {}, rafter);
    await expectServes(rafter);
    expectZapLines(etcdLog);
    const lines = expectZapLines(rafterLog);
    expect(lines.map((line) => line['msg'])).toContain('--enable-v2=true is ignored: Rafter serves only the v3 API');
    expect(lines[0]).toMatchObject({ level: 'info', caller: 'cli/main', path: rafterFile });
  });

  it('from the same ETCD_* environment as etcd', async () => {
    const etcd = await settings('etcd-env');
    await startMember('etcd', [], environment(etcd), etcd);
    await expectServes(etcd);
    const rafter = await settings('rafter-env');
    const rafterLog = await startMember(process.execPath, [rafterBin], environment(rafter), rafter);
    await expectServes(rafter);
    expectZapLines(rafterLog);
  });
});

describe('rafter --enable-pprof', () => {
  it("opens Node's inspector on loopback, as etcd opens pprof, and logs where", async () => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'rafter-pprof-'));
    const [clientPort, peerPort] = await freePorts(2);
    const log: string[] = [];
    let exited = false;
    const child = spawnMember({
      command: process.execPath,
      args: [rafterBin, '--enable-pprof', '--logger=zap', `--data-dir=${scratch}/m`, `--listen-client-urls=http://127.0.0.1:${clientPort!}`, `--listen-peer-urls=http://127.0.0.1:${peerPort!}`],
      log,
      logLinesMax: 200,
      onClose: () => (exited = true),
    });
    try {
      let url = '';
      await pollUntil(
        () => {
          if (exited) throw new Error(`rafter exited:\n${log.join('\n')}`);
          const line = log.map((text) => (text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {})).find((entry) => typeof entry['url'] === 'string');
          url = typeof line?.['url'] === 'string' ? line['url'] : '';
          return Promise.resolve(url !== '');
        },
        { pollsMax: 400, pauseMs: 50, failure: () => new Error(`no inspector URL logged:\n${log.join('\n')}`) },
      );
      const address = /^ws:\/\/(127\.0\.0\.1:\d+)\//.exec(url)?.[1];
      expect(address, url).toBeDefined();
      const version = (await (await fetch(`http://${address!}/json/version`)).json()) as { Browser: string };
      expect(version.Browser).toBe(`node.js/${process.version}`);
    } finally {
      await stopProcess(child, 'SIGTERM', 10_000);
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
