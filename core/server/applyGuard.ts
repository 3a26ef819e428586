// Remembers, across process deaths, which entries the member was applying to its store, so that a
// store unable to apply an entry never turns into a silent crash loop. A store can fail in a way no
// JavaScript handler sees (LMDB aborts the process on a damaged page), and every restart replays
// the same entry; before each batch the member records the entries it is about to apply, and on
// start it compares that record with the store's applied index. A run that ended inside a batch
// counts once; `deathsMax` runs in a row stuck at the same entry make the member refuse to start,
// naming the entry, the cause when one was caught, and the way out (docs/operations.md). A kill at
// a random moment lands inside a batch rarely, and three in a row at the same entry practically
// never. The record is one small rewrite per batch, not flushed: it must survive the process, not
// the machine. What happens to the store belongs to the applier; this only watches.
import fs from 'node:fs';
import path from 'node:path';
import { crc32c } from '../wal/crc32c.js';
import { DataDirError } from './dataDir.js';

/** Runs in a row that may end inside the same entry before the member refuses to start. */
export const deathsMax = 3;
/** The record's fixed size on disk; a longer error message is cut to fit. */
const recordBytes = 1024;
const errorChars = 600;
/** As many characters of a message that does not fit, as fit however each is written (6 bytes at most). */
const errorCharsWide = 140;
/** The record's header: its body's CRC32C in hex, its length in decimal, each followed by a space. */
const headerBytes = 14;
/** The record file's name in the member directory. */
export const applyGuardFileName = 'apply-guard';

interface GuardRecord {
  /** The batch being applied: entries `first` to `last`. */
  readonly first: number;
  readonly last: number;
  /** The first entry not in the store when runs started dying, and how many runs died on it. */
  readonly stuckAt: number;
  readonly deaths: number;
  /** The error that stopped the last run, when one was caught. */
  readonly error: string | null;
}

/** What the previous runs left, as the member reports it. */
export interface ApplyRecovery {
  /** The first entry not in the store. */
  readonly entryIndex: number;
  /** How many runs in a row ended while applying it, this one not counted. */
  readonly deaths: number;
  readonly error: string | null;
}

export interface ApplyGuardOptions {
  /** The member directory (`<data-dir>/member`). */
  readonly dir: string;
  /** The store's applied index at start. */
  readonly storeApplied: number;
  /** A readable description of the entry at an index, when the log still holds it. */
  readonly describeEntry: (index: number) => string | null;
  /** Where the store lives, for the message. */
  readonly storeDir: string;
}

export class ApplyGuard {
  private readonly fd: number;
  private stuckAt: number;
  private deaths: number;
  private first = 0;
  private last = 0;
  /** The record's buffer, written again for each record. */
  private readonly bytes = Buffer.alloc(recordBytes, ' ');

  private constructor(
    readonly file: string,
    stuckAt: number,
    deaths: number,
    /** What the previous runs left, or null when the last run did not die applying. */
    readonly recovery: ApplyRecovery | null,
  ) {
    this.stuckAt = stuckAt;
    this.deaths = deaths;
    this.fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
  }

  /**
   * Reads what the previous run left. Throws a DataDirError when `deathsMax` runs in a row ended
   * while applying the same entry: the member must not start and die again.
   */
  static open(options: ApplyGuardOptions): ApplyGuard {
    const file = path.join(options.dir, applyGuardFileName);
    const previous = readRecord(file);
    if (previous === null || options.storeApplied >= previous.last) return new ApplyGuard(file, 0, 0, null);
    // The batch being applied when the run died holds the entry; under group commit the store
    // may be further behind (batches applied before it were not committed yet).
    const entryIndex = Math.max(options.storeApplied + 1, previous.first);
    const deaths = (previous.stuckAt === entryIndex ? previous.deaths : 0) + 1;
    const recovery = { entryIndex, deaths, error: previous.error };
    if (deaths >= deathsMax) throw new DataDirError(refusal(file, options, recovery));
    return new ApplyGuard(file, entryIndex, deaths, recovery);
  }

  /** Records that entries `first`–`last` are about to be applied. */
  begin(first: number, last: number): void {
    if (first > this.stuckAt) {
      this.stuckAt = 0;
      this.deaths = 0;
    }
    this.first = first;
    this.last = last;
    this.write(null);
  }

  /**
   * Records that the batch begun last was applied: a run that ends after this (killed, stopped)
   * did not die applying, even though the store may not have committed the batch yet.
   */
  end(): void {
    this.first = 0;
    this.last = 0;
    this.write(null);
  }

  /** Records the error that stopped applying the batch begun last, for the next run to name. */
  failed(error: Error): void {
    this.write(error.message.slice(0, errorChars));
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  /**
   * Rewrites the record in place: header and body only, in one buffer kept for it. Bytes a longer
   * earlier record left after the body are never read (the header gives the body's length), and
   * without a flush no write is torn short of a machine crash, after which the record is unread.
   */
  private write(error: string | null): void {
    const record: GuardRecord = { first: this.first, last: this.last, stuckAt: this.stuckAt, deaths: this.deaths, error };
    let json = JSON.stringify(record);
    // A message of wide or escaped characters may not fit whole: a shorter one does.
    if (error !== null && Buffer.byteLength(json) > recordBytes - headerBytes) json = JSON.stringify({ ...record, error: error.slice(0, errorCharsWide) });
    const bytes = this.bytes;
    const length = bytes.write(json, headerBytes, recordBytes - headerBytes, 'utf8');
    const header = `${crc32c(bytes.subarray(headerBytes, headerBytes + length)).toString(16).padStart(8, '0')} ${length.toString().padStart(4, '0')} `;
    bytes.write(header, 0, 'latin1');
    fs.writeSync(this.fd, bytes, 0, headerBytes + length, 0);
  }

}

/** The record in `file`, or null when there is none or it is unreadable (a torn write at power loss). */
function readRecord(file: string): GuardRecord | null {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return null;
  }
  const match = /^([0-9a-f]{8}) (\d{4}) /.exec(bytes.subarray(0, 14).toString('latin1'));
  if (match === null) return null;
  const body = bytes.subarray(14, 14 + Number(match[2]));
  if (crc32c(body) !== parseInt(match[1]!, 16)) return null;
  return JSON.parse(body.toString('utf8')) as GuardRecord;
}

function refusal(file: string, options: ApplyGuardOptions, recovery: ApplyRecovery): string {
  const entry = options.describeEntry(recovery.entryIndex);
  return [
    `refusing to start: the last ${recovery.deaths} runs of this member stopped while applying entry ${recovery.entryIndex}`,
    entry === null ? '' : ` (${entry})`,
    ` to the store in ${options.storeDir}`,
    recovery.error === null ? ' without an error the member could catch (the process aborted or was killed)' : `; the last error: ${recovery.error}`,
    '. Starting again would stop the same way. To recover, replace this member with an empty one',
    ' (etcdctl member remove, wipe the data directory, etcdctl member add, start with --initial-cluster-state existing)',
    ' or restore from a snapshot (rafter snapshot restore); see docs/operations.md.',
    ` If the stops had another cause, delete ${file} to try again.`,
  ].join('');
}
