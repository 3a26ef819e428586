import { describe, expect, it } from 'vitest';
import { FlagError, parseMemberConfig, parseRetention } from '../../core/cli/flags.js';

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
