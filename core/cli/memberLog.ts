// The `rafter` command's log lines: etcd's zap JSON (`--logger zap`: one object per line with
// etcd's field names level, ts, caller and msg, so log shippers that parse etcd's logs parse
// Rafter's) or text lines, written to the --log-outputs targets. Which messages a member logs
// is the member's business; this module only formats and writes them.
import fs from 'node:fs';
import type { LogLevel } from '../server/memberConfig.js';
import { FlagError } from './flags.js';

export type LoggerFormat = 'zap' | 'capnslog';

const levelRank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** One log line. `caller` says which part logged it, in etcd's package/file form. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly caller: string;
  readonly msg: string;
  /** More fields (zap only), after etcd's four. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** Formats one record as a line (without the newline); `now` is the time it is logged at. */
export function formatLogLine(format: LoggerFormat, name: string, record: LogRecord, now: Date): string {
  if (format === 'zap') return JSON.stringify({ level: record.level, ts: now.toISOString(), caller: record.caller, msg: record.msg, ...record.fields });
  const extra = record.fields ? ` ${JSON.stringify(record.fields)}` : '';
  return `${now.toISOString()} ${record.level} ${name}: ${record.msg}${extra}`;
}

/** Where lines go, from --log-outputs: 'default', 'stderr', 'systemd/journal' (all stderr), 'stdout', or file paths. */
export function openLogOutputs(spec: string): ((line: string) => void)[] {
  const targets = [...new Set(spec.split(',').map((part) => part.trim()).filter((part) => part !== ''))];
  if (targets.length === 0) throw new FlagError('--log-outputs is empty');
  return targets.map((target) => {
    if (target === 'default' || target === 'stderr' || target === 'systemd/journal') return (line: string) => void process.stderr.write(`${line}\n`);
    if (target === 'stdout') return (line: string) => void process.stdout.write(`${line}\n`);
    let fd: number;
    try {
      fd = fs.openSync(target, 'a', 0o600);
    } catch (error) {
      throw new FlagError(`cannot open log output ${target}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return (line: string) => fs.writeSync(fd, `${line}\n`);
  });
}

/** A logger that writes records at or above `threshold` to every output. */
export function createLog(format: LoggerFormat, name: string, threshold: LogLevel, outputs: readonly ((line: string) => void)[]): (record: LogRecord) => void {
  return (record) => {
    if (levelRank[record.level] < levelRank[threshold]) return;
    const line = formatLogLine(format, name, record, new Date());
    for (const output of outputs) output(line);
  };
}
