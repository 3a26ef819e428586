import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdFlags } from '../../core/cli/etcdFlags.js';
import { collectFlags, collectFlagValues, environmentName, FlagError, isKnownFlag, parseMemberConfig, parseRetention, unimplementedFlagWarnings, unknownEnvironmentVariables } from '../../core/cli/flags.js';

describe('member flags', () => {
  it('reads etcd flag names in both --flag value and --flag=value forms', () => {
    const config = parseMemberConfig([
      '--name', 'm1',
      '--data-dir=/tmp/m1',
      '--listen-client-urls', 'http://127.0.0.1:20001',
      '--listen-peer-urls', 'http://127.0.0.1:20002',
      '--initial-cluster', 'm1=http://127.0.0.1:20002,m2=http://127.0.0.1:20004',
      '--initial-cluster-state', 'existing',
      '--snapshot-count', '500',
    ]);
    expect(config.name).toBe('m1');
    expect(config.dataDir).toBe('/tmp/m1');
    expect(config.advertiseClientUrls.map(String)).toEqual(['http://127.0.0.1:20001/']);
    expect(config.initialAdvertisePeerUrls.map(String)).toEqual(['http://127.0.0.1:20002/']);
    expect([...config.initialCluster.keys()]).toEqual(['m1', 'm2']);
    expect(config.initialClusterState).toBe('existing');
    expect(config.snapshotCount).toBe(500);
  });

  it('takes values from ETCD_ environment variables, with flags winning', () => {
    const config = parseMemberConfig(['--name', 'flag-name'], {
      ETCD_NAME: 'env-name',
      ETCD_SNAPSHOT_COUNT: '42',
      ETCD_INITIAL_CLUSTER: 'flag-name=http://127.0.0.1:20010',
    });
    expect(config.name).toBe('flag-name');
    expect(config.snapshotCount).toBe(42);
  });

  it('defaults to a 50 ms heartbeat and a 150 ms election timeout', () => {
    const config = parseMemberConfig([]);
    expect(config.heartbeatIntervalMs).toBe(50);
    expect(config.electionTimeoutMs).toBe(150);
    expect(config.maxRequestBytes).toBe(1.5 * 1024 * 1024);
    expect(config.dataDir).toBe('default.rafter');
    expect(config.backendBatchIntervalMs).toBe(100);
    expect(config.backendBatchLimit).toBe(10_000);
  });

  it("reads the store's group commit from etcd's --backend-batch-interval and --backend-batch-limit", () => {
    const config = parseMemberConfig(['--backend-batch-interval', '250ms', '--backend-batch-limit', '64']);
    expect(config.backendBatchIntervalMs).toBe(250);
    expect(config.backendBatchLimit).toBe(64);
    expect(parseMemberConfig(['--backend-batch-interval=1.5s']).backendBatchIntervalMs).toBe(1500);
    // 0 and an empty value mean etcd's defaults, as in etcd.
    expect(parseMemberConfig(['--backend-batch-interval=0', '--backend-batch-limit=0'])).toMatchObject({ backendBatchIntervalMs: 100, backendBatchLimit: 10_000 });
    expect(unimplementedFlagWarnings(collectFlags(['--backend-batch-interval=250ms'], {}))).toEqual([]);
  });

  it.each([
    [['--bogus', '1'], 'unknown flag --bogus'],
    [['--snapshot-count', 'many'], 'invalid value "many" for --snapshot-count'],
    [['--listen-client-urls', 'ftp://x:1'], 'must start with http:// or https://'],
    [['--listen-client-urls', 'http://127.0.0.1'], 'must name a port'],
    [['--name', 'a', '--initial-cluster', 'b=http://127.0.0.1:20000'], 'no entry for this member'],
    [['--initial-cluster-state', 'old'], "want new or existing"],
    [['--heartbeat-interval', '100', '--election-timeout', '200'], 'at least 3 times'],
    [['--name'], 'needs a value'],
    [['--backend-batch-interval', 'soon'], 'invalid --backend-batch-interval "soon"'],
  ])('refuses %j with a clear one-line message', (argv, message) => {
    expect(() => parseMemberConfig(argv)).toThrow(FlagError);
    expect(() => parseMemberConfig(argv)).toThrow(message);
  });

  it('parses compaction retention as durations, hours, or revision counts', () => {
    expect(parseRetention('periodic', '1h30m')).toBe(5_400_000);
    expect(parseRetention('periodic', '2')).toBe(7_200_000);
    expect(parseRetention('periodic', '500ms')).toBe(500);
    expect(parseRetention('revision', '1000')).toBe(1000);
    expect(() => parseRetention('revision', '1h')).toThrow(FlagError);
  });
});

describe("etcd's other flags", () => {
  it('accepts every flag of etcd 3.4 and 3.5 help, each also from its ETCD_ variable', () => {
    for (const flag of etcdFlags) {
      expect(isKnownFlag(flag.name), flag.name).toBe(true);
      const value = flag.unimplemented?.harmless.find((harmless) => harmless !== '') ?? 'x';
      if (flag.unimplemented) {
        expect(collectFlags([`--${flag.name}=${value}`], {}).get(flag.name)).toBe(value);
        expect(collectFlags([], { [environmentName(flag.name)]: value }).get(flag.name)).toBe(value);
      }
    }
  });

  it('warns in one line about a value Rafter ignores, and stays silent about etcd defaults', () => {
    expect(unimplementedFlagWarnings(collectFlags(['--enable-v2', '--proxy=off', '--pre-vote=true'], {}))).toEqual([
      '--enable-v2=true is ignored: Rafter serves only the v3 API',
    ]);
    expect(unimplementedFlagWarnings(collectFlags([], { ETCD_MAX_CONCURRENT_STREAMS: '100' }))).toEqual([
      '--max-concurrent-streams=100 is ignored: Rafter does not limit concurrent streams per client',
    ]);
  });

  it('names ETCD_ variables that are no flag, as etcd warns about them', () => {
    expect(unknownEnvironmentVariables({ ETCD_NAME: 'a', ETCD_NAEM: 'b', ETCD_ENABLE_V2: 'true', ETCDCTL_API: '3', PATH: '/bin' })).toEqual(['ETCD_NAEM']);
  });

  it.each([
    [['--proxy', 'on'], '--proxy=on is not supported: Rafter has no v2 proxy mode'],
    [['--discovery', 'https://discovery.etcd.io/x'], 'list the members in --initial-cluster'],
    [['--discovery-srv', 'example.com'], 'list them in --initial-cluster'],
  ])('refuses %j where ignoring it would betray the operator', (argv, message) => {
    expect(() => parseMemberConfig(argv)).toThrow(FlagError);
    expect(() => parseMemberConfig(argv)).toThrow(message);
  });

  it('reads the flags it implements from etcd 3.4 names', () => {
    const config = parseMemberConfig(['--max-snapshots=0', '--max-wals', '3', '--wal-dir=/tmp/wal', '--listen-metrics-urls=http://127.0.0.1:20100', '--debug']);
    expect(config.maxSnapshots).toBe(0);
    expect(config.maxWals).toBe(3);
    expect(config.strictReconfigCheck).toBe(true);
    expect(config.forceNewCluster).toBe(false);
    expect(parseMemberConfig(['--strict-reconfig-check=false']).strictReconfigCheck).toBe(false);
    expect(parseMemberConfig(['--force-new-cluster']).forceNewCluster).toBe(true);
    expect(config.walDir).toBe('/tmp/wal');
    expect(config.listenMetricsUrls.map(String)).toEqual(['http://127.0.0.1:20100/']);
    expect(config.logLevel).toBe('debug');
    expect(parseMemberConfig(['--log-level=fatal']).logLevel).toBe('error');
    expect(() => parseMemberConfig(['--listen-metrics-urls=https://127.0.0.1:20100'])).toThrow('only http:// is supported');
  });
});

describe("etcd's config file", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rafter-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads etcd 3.4's sample config file, and ignores other flags and the environment as etcd does", async () => {
    const file = path.join(dir, 'etcd.conf.yml');
    await writeFile(file, etcdSampleConfig);
    const { values, ignoredConfigKeys } = collectFlagValues(['--config-file', file, '--name', 'ignored'], { ETCD_SNAPSHOT_COUNT: '7' });
    expect(ignoredConfigKeys).toEqual([]);
    expect(unimplementedFlagWarnings(values)).toEqual([
      '--enable-v2=true is ignored: Rafter serves only the v3 API',
    ]);
    const config = parseMemberConfig(['--config-file', file, '--name', 'ignored'], { ETCD_SNAPSHOT_COUNT: '7' });
    expect(config.name).toBe('infra0');
    expect(config.snapshotCount).toBe(10000);
    expect(config.heartbeatIntervalMs).toBe(100);
    expect(config.electionTimeoutMs).toBe(1000);
    expect(config.maxSnapshots).toBe(5);
    expect(config.autoCompactionRetention).toBe(3_600_000);
    expect(config.logLevel).toBe('info');
    expect([...config.initialCluster.keys()]).toEqual(['infra0']);
    expect(parseMemberConfig([], { ETCD_CONFIG_FILE: file }).name).toBe('infra0');
  });

  it('reads the TLS sections as the TLS flags (the peer section\'s client certificate too) and reports keys that are no etcd flag', async () => {
    const file = path.join(dir, 'tls.yml');
    await writeFile(file, 'name: a\nno-such-key: 1\nclient-transport-security:\n  cert-file: /etc/etcd/server.pem\n  key-file: /etc/etcd/server-key.pem\npeer-transport-security:\n  auto-tls: true\n');
    const { values, ignoredConfigKeys } = collectFlagValues(['--config-file', file], {});
    expect(ignoredConfigKeys).toEqual(['no-such-key']);
    expect([values.get('cert-file'), values.get('key-file'), values.get('peer-auto-tls')]).toEqual(['/etc/etcd/server.pem', '/etc/etcd/server-key.pem', 'true']);
    expect(parseMemberConfig(['--config-file', file]).tls.client.certFile).toBe('/etc/etcd/server.pem');
    const dialling = path.join(dir, 'peer-client-cert.yml');
    await writeFile(dialling, 'name: a\npeer-transport-security:\n  client-cert-file: /etc/etcd/peer-client.pem\n  client-key-file: /etc/etcd/peer-client-key.pem\n');
    expect(parseMemberConfig(['--config-file', dialling]).tls.peer).toMatchObject({ dialCertFile: '/etc/etcd/peer-client.pem', dialKeyFile: '/etc/etcd/peer-client-key.pem' });
  });

  it('names the file when it cannot be read or parsed', async () => {
    expect(() => parseMemberConfig(['--config-file', path.join(dir, 'missing.yml')])).toThrow(/cannot read config file .*missing\.yml/);
    const broken = path.join(dir, 'broken.yml');
    await writeFile(broken, 'name: [unclosed\n');
    expect(() => parseMemberConfig(['--config-file', broken])).toThrow(/broken\.yml: config file is not valid YAML/);
  });
});

/** etcd 3.4's etcd.conf.yml.sample with a name, URLs and a cluster filled in, as an operator would. */
const etcdSampleConfig = `# This is the configuration file for the etcd server.
name: 'infra0'
data-dir:
wal-dir:
snapshot-count: 10000
heartbeat-interval: 100
election-timeout: 1000
quota-backend-bytes: 0
listen-peer-urls: http://127.0.0.1:20200
listen-client-urls: http://127.0.0.1:20201
max-snapshots: 5
max-wals: 5
cors:
initial-advertise-peer-urls: http://127.0.0.1:20200
advertise-client-urls: http://127.0.0.1:20201
discovery:
discovery-fallback: 'proxy'
discovery-proxy:
discovery-srv:
initial-cluster: infra0=http://127.0.0.1:20200
initial-cluster-token: 'etcd-cluster'
initial-cluster-state: 'new'
strict-reconfig-check: true
enable-v2: true
enable-pprof: false
proxy: 'off'
proxy-failure-wait: 5000
proxy-refresh-interval: 30000
proxy-dial-timeout: 1000
proxy-write-timeout: 5000
proxy-read-timeout: 0
client-transport-security:
  cert-file:
  key-file:
  client-cert-auth: false
  trusted-ca-file:
  auto-tls: false
peer-transport-security:
  cert-file:
  key-file:
  client-cert-auth: false
  trusted-ca-file:
  auto-tls: false
debug: false
log-package-levels:
log-outputs: [default]
force-new-cluster: false
auto-compaction-mode: periodic
auto-compaction-retention: "1"
`;
