// The long torture run: a 3-member Rafter cluster of real processes under a seeded concurrent
// workload while a seeded scheduler kills, pauses, isolates, moves the leader and changes
// membership (one fault or two at once), then every check of test/linearizability
// (linearizability, revision order, watches, lost writes, serializable reads, hashKV). Prints a
// summary table; exits 1 on any violation.
//
//   npx tsx bench/torture.ts --minutes 30 [--seed 42] [--clients 6] [--keys 5] [--faults kill-leader,pause-follower]
//                            [--segment-minutes 5]
//
// A run longer than --segment-minutes is checked in segments: the cluster and the faults carry on
// throughout, each segment's workload writes its own keys and is checked on its own (one history
// of half a million operations is more than the exact search can hold in memory).
import { faultKinds } from '../test/support/faultScheduler.js';
import type { FaultKind } from '../test/support/faultScheduler.js';
import { describeFailures, runTorture } from '../test/linearizability/tortureRun.js';
import type { TortureReport } from '../test/linearizability/tortureRun.js';

interface Options {
  minutes: number;
  seed: number;
  clients: number;
  keys: number;
  faults: readonly FaultKind[];
  segmentMinutes: number;
}

function parse(argv: readonly string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const number = (name: string, fallback: number): number => {
    const text = get(name);
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} takes a positive number, got ${text}`);
    return value;
  };
  return {
    minutes: number('minutes', 5),
    seed: Math.floor(number('seed', 1 + Math.floor(Math.random() * 2 ** 31))),
    clients: Math.floor(number('clients', 6)),
    keys: Math.floor(number('keys', 5)),
    segmentMinutes: number('segment-minutes', 5),
    faults: (get('faults')?.split(',') ?? faultKinds).map((name) => {
      const kind = faultKinds.find((k) => k === name);
      if (kind === undefined) throw new Error(`unknown fault ${name}; known: ${faultKinds.join(', ')}`);
      return kind;
    }),
  };
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

function table(report: TortureReport, minutes: number): string {
  const recoveries = report.faults.map((f) => f.recoveryMs).sort((a, b) => a - b);
  const byKind = new Map<string, number>();
  for (const fault of report.faults) {
    const kind = fault.kind.includes('+') ? 'double (two faults at once)' : fault.kind;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  const violations = describeFailures(report).length;
  const rows: [string, string][] = [
    ['seed', String(report.seed)],
    ['fault time (planned)', `${minutes} min`],
    ['wall time', `${(report.wallMs / 60_000).toFixed(1)} min`],
    ['workload segments (each checked on its own)', String(report.segments)],
    ['operations recorded', String(report.operations)],
    ['  linearizable, known outcome', String(report.knownOperations)],
    ['  writes of unknown outcome', String(report.unknownOperations)],
    ['  serializable reads', String(report.serializableReads)],
    ['watch events (per watcher)', String(report.watchEvents)],
    ['faults injected', String(report.faults.length)],
    ...[...byKind].sort().map(([kind, count]): [string, string] => [`  ${kind}`, String(count)]),
    ['linearizability violations', String(report.linearizability.violations.length)],
    ['inconclusive keys', String(report.linearizability.inconclusiveKeys.length)],
    ['revision / watch / serializable violations', `${report.revisionViolations.length} / ${report.watchViolations.length} / ${report.serializableViolations.length}`],
    ['acknowledged writes lost', String(report.lostWrites.length)],
    ['a watcher saw every revision', report.completeWatchStream ? 'yes' : 'no'],
    ['hashKV equal on every member', report.hashesEqual ? 'yes' : `no (${report.hashes.join(', ')})`],
    ['recovery after a fault healed (p50 / p99 / max)', `${percentile(recoveries, 0.5).toFixed(0)} / ${percentile(recoveries, 0.99).toFixed(0)} / ${(recoveries.at(-1) ?? 0).toFixed(0)} ms`],
    ['recovery once faults stopped', `${report.finalRecoveryMs.toFixed(0)} ms`],
    ['checking time', `${report.checkMs.toFixed(0)} ms`],
    ['violations found', String(violations)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return ['| measure | value |', '| --- | --- |', ...rows.map(([name, value]) => `| ${name.padEnd(width)} | ${value} |`)].join('\n');
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  console.log(`torture: seed ${options.seed}, ${options.minutes} min of faults, ${options.clients} clients on ${options.keys} keys`);
  const report = await runTorture({
    seed: options.seed,
    faultMs: options.minutes * 60_000,
    clients: options.clients,
    keys: options.keys,
    faultKinds: options.faults,
    segmentMs: options.segmentMinutes * 60_000,
    log: (line) => console.log(`  ${new Date().toISOString()} ${line}`),
  });
  console.log(table(report, options.minutes));
  const failures = describeFailures(report);
  if (failures.length > 0) {
    console.log(`\n${failures.length} violation(s); replay with --seed ${report.seed}:\n`);
    console.log(failures.join('\n\n'));
    console.log(`\nmember logs (last lines):\n${report.memberLogs}`);
    process.exitCode = 1;
  }
}

await main();
