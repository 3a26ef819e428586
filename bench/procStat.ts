// A process's CPU time and resident memory from /proc (Linux), for the benchmark's per-side
// server figures: user + system time of every thread, and VmRSS.
import fs from 'node:fs/promises';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux architecture Node supports). */
const ticksPerSecond = 100;

/** User + system CPU seconds the process has used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 (utime) and 15 (stime) of proc(5), i.e. 12 and 13 after the name and state.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Resident set size in bytes. */
export async function residentBytes(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * Resident memory by kind (bytes): anonymous (heaps, the process's own) and file-backed (pages of
 * mapped files, such as an LMDB database: page cache the kernel may reclaim).
 */
export async function residentKinds(pid: number): Promise<{ anon: number; file: number }> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match) throw new Error(`no ${name} for process ${pid}`);
    return Number(match[1]) * 1024;
  };
  return { anon: field('RssAnon'), file: field('RssFile') + field('RssShmem') };
}

/** Summed CPU seconds of several processes. */
export async function totalCpuSeconds(pids: readonly number[]): Promise<number> {
  const each = await Promise.all(pids.map((pid) => cpuSeconds(pid)));
  return each.reduce((sum, seconds) => sum + seconds, 0);
}
