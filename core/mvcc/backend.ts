// The LMDB environment under the store and the lessor: one database file, a fixed set of named
// tables with binary keys and values, synchronous write transactions (optionally grouped into one
// commit per interval, as etcd batches its backend's commits), consistent copies,
// defragmentation (a rewrite of every table into a new file, swapped in), and size figures. LMDB flushes its data pages at
// every commit but not its meta page (MDB_NOMETASYNC): a power loss may undo the last commit, which
// the write-ahead log (the durability point) replays, but never leaves the file inconsistent —
// without any flush (MDB_NOSYNC) a power loss can corrupt the database on a filesystem that
// reorders writes. `sync()` flushes everything, at snapshot time. Files swapped in (a compacted
// copy, an installed snapshot) are flushed before the rename that makes them live.
// What the tables hold is decided by their owners (mvccStore.ts, core/lease, core/auth).
import fs from 'node:fs';
import path from 'node:path';
import { open } from 'lmdb';
import type { Database, RootDatabase, RootDatabaseOptions } from 'lmdb';
import { assert } from '../raft/assert.js';
import { copyLiveKv, newLiveRecordView, viewLiveRecord } from './encoding.js';
import type { LiveRecordView } from './encoding.js';
import type { KeyValue } from './types.js';

/**
 * Flushes a file or directory to disk. A copy is flushed before the rename that makes it live, and
 * the directory after, so a power loss leaves either the old file or the whole new one.
 */
export function syncFile(filePath: string): void {
  const fd = fs.openSync(filePath, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Every table in the store's database. */
export const tableNames = ['live', 'history', 'revisions', 'meta', 'alarms', 'leases', 'auth', 'authUsers', 'authRoles'] as const;
export type TableName = (typeof tableNames)[number];

/** Entries copied per step of a defragment; the event loop runs between steps. */
export const defragmentChunkEntriesMax = 4_096;
/** Bytes copied per step of a defragment (a step always takes at least one entry). */
export const defragmentChunkBytesMax = 4 * 1024 * 1024;
/**
 * Keys written during a defragment's copy that are caught up with the event loop free; the last
 * catch-up, at most this many keys, runs in the same turn as the swap.
 */
export const defragmentCatchUpKeysMax = 2_048;
/** Catch-up rounds before a defragment gives up on a store written faster than it can copy. */
export const defragmentCatchUpRoundsMax = 64;

/** The database file's name inside a store directory. */
export const databaseFileName = 'store.mdb';

export interface BackendSizes {
  /** Bytes the database file occupies (pages up to the highest one ever used). */
  readonly dbSizeBytes: number;
  /** Bytes of pages that hold live data; the rest is free space a defragment would return. */
  readonly dbSizeInUseBytes: number;
}

type RangeOptions = Parameters<Database<Buffer, Buffer>['getRange']>[0];

/**
 * A table: binary keys and values. Writes go through here so a defragment in progress learns
 * which keys changed after its copy began.
 */
export class Table {
  constructor(
    private readonly db: Database<Buffer, Buffer>,
    private readonly noteWrite: (key: Buffer) => void,
    /** The live table's second handle, whose reads decode each value as LMDB hands it over (copyLiveKv). */
    private readonly kvReader: Database<KeyValue, Buffer> | null = null,
    /** The live table's third handle, whose reads fill one record view in place (viewLiveRecord). */
    private readonly recordReader: Database<LiveRecordView, Buffer> | null = null,
  ) {}

  get(key: Buffer): Buffer | undefined {
    return this.db.get(key);
  }

  getRange(options: RangeOptions = {}): ReturnType<Database<Buffer, Buffer>['getRange']> {
    return this.db.getRange(options);
  }

  /** The live table's kv under `key`, decoded as `getKvRange` decodes. Live table only. */
  getKv(key: Buffer): KeyValue | undefined {
    assert(this.kvReader !== null, 'only the live table decodes kvs as it reads');
    return this.kvReader.get(key);
  }

  /**
   * The live table's entries over `options`, each value decoded as `copyLiveKv` does, straight
   * from LMDB's read buffer (no copy of the record first). Live table only.
   */
  getKvRange(options: RangeOptions = {}): Iterable<{ readonly key: Buffer; readonly value: KeyValue }> {
    assert(this.kvReader !== null, 'only the live table decodes kvs as it reads');
    return this.kvReader.getRange(options);
  }

  /**
   * Calls `visit` with each live record over `options` in key order, seen where LMDB read it: no
   * copy, no object per record (the view is filled again for the next one, so `visit` must take
   * what it needs before returning). Stops when `visit` returns false; returns false if it did.
   * Live table only.
   */
  visitLiveRange(options: RangeOptions, visit: (view: LiveRecordView) => boolean): boolean {
    assert(this.recordReader !== null, 'only the live table is read in place');
    for (const { value } of this.recordReader.getRange(options)) {
      if (!visit(value)) return false;
    }
    return true;
  }

  putSync(key: Buffer, value: Buffer): void {
    this.noteWrite(key);
    this.db.putSync(key, value);
  }

  removeSync(key: Buffer): boolean {
    this.noteWrite(key);
    return this.db.removeSync(key);
  }

  getCount(options: RangeOptions = {}): number {
    return this.db.getCount(options);
  }

  getStats(): PageStats {
    return this.db.getStats() as PageStats;
  }
}

/**
 * Group commit (etcd's batched backend): one write transaction stays open across `transact`
 * calls, each of which runs as a nested transaction inside it (so a throw still aborts only its
 * own writes), and is committed — flushed — once per interval, after a number of calls, and before
 * anything that needs the file to hold everything (sync, copy, defragment, close). Reads see the
 * open transaction's writes. A crash loses what the open transaction held; the owner must be able
 * to redo it (the member replays its write-ahead log from the applied index stored with the data).
 */
export interface GroupCommitOptions {
  /** The longest an open group transaction waits for its commit. */
  readonly intervalMs: number;
  /** `transact` calls after which the group commits at once. */
  readonly callsMax: number;
  /** Told the duration of each group commit (seconds). */
  readonly onCommit?: (seconds: number) => void;
  /** Told when a commit the interval started failed (a full disk, an I/O error); nothing of the group was kept. */
  readonly onFailure?: (error: Error) => void;
}

/** The open group transaction: how to commit it (lmdb-js's own ending of the transaction). */
interface OpenGroup {
  readonly commit: (value: unknown) => unknown;
  calls: number;
  readonly timer: NodeJS.Timeout;
}

/** Keys written per table since a defragment's copy began (latin1 strings: one char per byte). */
type WrittenKeys = Map<TableName, Set<string>>;

/** An LMDB environment with the store's tables. Not safe to share between processes. */
export class Backend {
  private root: RootDatabase<Buffer, Buffer>;
  private tables = new Map<TableName, Table>();
  /** Keys written since the running defragment's copy began; null when none runs. */
  private written: WrittenKeys | null = null;
  private defragmenting: Promise<boolean> | null = null;
  private closed = false;
  private grouping: GroupCommitOptions | null = null;
  private group: OpenGroup | null = null;

  private constructor(
    readonly filePath: string,
    private readonly unsafeNoSync: boolean,
  ) {
    this.root = Backend.openRoot(filePath, unsafeNoSync);
    this.openTables();
  }

  /** Opens every table outside any write transaction (a table first opened in an aborted one is lost). */
  private openTables(): void {
    for (const name of tableNames) {
      const db = Backend.openTable(this.root, name);
      const kvReader = name === 'live' ? Backend.openKvReader(this.root, name) : null;
      const recordReader = name === 'live' ? Backend.openRecordReader(this.root, name) : null;
      this.tables.set(name, new Table(db, (key) => this.written?.get(name)?.add(key.toString('latin1')), kvReader, recordReader));
    }
  }

  private static openTable(root: RootDatabase<Buffer, Buffer>, name: TableName): Database<Buffer, Buffer> {
    return root.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' });
  }

  /**
   * A third, read-only handle of table `name` whose reads fill one LiveRecordView in place, from
   * lmdb-js's shared read buffer: what a range encoded straight into its answer reads through.
   */
  private static openRecordReader(root: RootDatabase<Buffer, Buffer>, name: TableName): Database<LiveRecordView, Buffer> {
    const view = newLiveRecordView();
    const decoder = {
      encode: (): Buffer => {
        throw new Error(`the ${name} table's record reader does not write`);
      },
      decode: (bytes: Buffer, size?: unknown): LiveRecordView => {
        viewLiveRecord(bytes, typeof size === 'number' ? size : bytes.length, view);
        return view;
      },
    };
    // Keys as lmdb-js's binary encoding writes them; read back as views of its key buffer rather
    // than a copy each (a new ArrayBuffer per key). A view holds until the cursor's next step, and
    // the iteration only reads it then, to seek back after its read transaction was renewed.
    const keyEncoder = {
      writeKey: (key: Buffer, target: Buffer, start: number): number => {
        target.set(key, start);
        return start + key.length;
      },
      readKey: (source: Buffer, start: number, end: number): Buffer => source.subarray(start, end),
    };
    const options: RootDatabaseOptions & { name: string } = { name, keyEncoder, encoder: decoder };
    return root.openDB<LiveRecordView, Buffer>(options);
  }

  /**
   * A second, read-only handle of table `name` whose values decode to kvs. lmdb-js hands a decoder
   * that copies (this one does) its shared read buffer instead of a fresh copy of every value.
   */
  private static openKvReader(root: RootDatabase<Buffer, Buffer>, name: TableName): Database<KeyValue, Buffer> {
    const decoder = {
      encode: (): Buffer => {
        throw new Error(`the ${name} table's kv reader does not write`);
      },
      decode: copyLiveKv,
    };
    // lmdb-js documents `encoder` for every database, but types it on the root's options only.
    const options: RootDatabaseOptions & { name: string } = { name, keyEncoding: 'binary', encoder: decoder };
    return root.openDB<KeyValue, Buffer>(options);
  }

  /**
   * Opens (creating if needed) the database in directory `dir`. `unsafeNoSync` (fault tests only,
   * behind --unsafe-no-fsync) flushes nothing, like etcd's backend under that flag.
   */
  static open(dir: string, unsafeNoSync = false): Backend {
    fs.mkdirSync(dir, { recursive: true });
    return new Backend(path.join(dir, databaseFileName), unsafeNoSync);
  }

  private static openRoot(filePath: string, unsafeNoSync: boolean): RootDatabase<Buffer, Buffer> {
    return open<Buffer, Buffer>({
      path: filePath,
      noSubdir: true,
      maxDbs: tableNames.length + 2,
      ...(unsafeNoSync ? { noSync: true } : { noMetaSync: true }),
      // lmdb-js flushes synchronous transactions in the commit either way; the overlapping mode
      // pays off only for its asynchronous batches, which the store does not use.
      overlappingSync: false,
      keyEncoding: 'binary',
      encoding: 'binary',
    });
  }

  /** The named table. Handles change after `defragment`, so callers look tables up per use. */
  table(name: TableName): Table {
    assert(!this.closed, 'backend is closed');
    const table = this.tables.get(name);
    assert(table !== undefined, `table ${name} is open`);
    return table;
  }

  /**
   * Runs `action` in one synchronous write transaction; a throw aborts every write in it. Under
   * group commit it is a nested transaction of the open group, durable once the group commits.
   */
  transact<T>(action: () => T): T {
    assert(!this.closed, 'backend is closed');
    if (this.grouping === null) return this.root.transactionSync(action);
    const group = this.group ?? this.openGroup(this.grouping);
    group.calls += 1;
    // Inside an open write transaction lmdb-js runs this as a child transaction (abortable).
    const result = this.root.transactionSync(action);
    if (group.calls >= this.grouping.callsMax) this.commitGroup();
    return result;
  }

  /** Turns group commit on (see GroupCommitOptions). */
  groupCommits(options: GroupCommitOptions): void {
    this.grouping = options;
  }

  /**
   * Opens the group transaction. lmdb-js keeps a synchronous transaction open while its callback's
   * result is pending and ends it through that result's `then`; the result here is a thenable
   * whose callback is kept, so the group is committed synchronously when asked (a commit that
   * fails ends the transaction too, keeping nothing of it).
   */
  private openGroup(options: GroupCommitOptions): OpenGroup {
    let commit: ((value: unknown) => unknown) | undefined;
    const pending = {
      then(onCommit: (value: unknown) => unknown): undefined {
        commit = onCommit;
        return undefined;
      },
    };
    void this.root.transactionSync(() => pending as unknown as Promise<void>);
    assert(commit !== undefined, 'lmdb-js kept the group transaction open');
    const timer = setTimeout(() => {
      try {
        this.commitGroup();
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        if (options.onFailure === undefined) throw failure;
        options.onFailure(failure);
      }
    }, options.intervalMs);
    timer.unref();
    this.group = { commit, calls: 0, timer };
    return this.group;
  }

  /** Commits the open group transaction, if any, flushing it (on the event loop). */
  commitGroup(): void {
    const group = this.group;
    if (group === null) return;
    this.group = null;
    clearTimeout(group.timer);
    const started = performance.now();
    group.commit(undefined);
    this.grouping?.onCommit?.((performance.now() - started) / 1000);
  }

  /**
   * Writes a consistent copy of the whole database file to `filePath` (a snapshot), page for page.
   * LMDB's compacting copy (MDB_CP_COMPACT) is never used: in the LMDB that lmdb-js 3.5 bundles
   * it writes a file that aborts the first transaction freeing a value larger than its 1 MiB copy
   * buffer ("Assertion 'key.mv_size > 0' failed in mdb_page_alloc()"). `defragment` compacts by
   * rewriting the tables instead.
   */
  async copyTo(filePath: string): Promise<void> {
    assert(!this.closed, 'backend is closed');
    this.commitGroup();
    await this.root.backup(filePath, false);
  }

  /**
   * Rewrites the database compactly and swaps it in; what it holds is unchanged. The tables are
   * copied into a new file from one read snapshot, a bounded step at a time so the event loop
   * keeps running (writes, heartbeats); keys written meanwhile are then copied again, and the last
   * few of them in the same turn as the swap, so no write can land between. Concurrent calls share
   * one run. Returns false when the swap was given up: the backend was closed, or writes kept
   * outpacing the catch-up.
   */
  defragment(): Promise<boolean> {
    assert(!this.closed, 'backend is closed');
    this.defragmenting ??= this.runDefragment().finally(() => {
      this.written = null;
      this.defragmenting = null;
    });
    return this.defragmenting;
  }

  private async runDefragment(): Promise<boolean> {
    const copyPath = `${this.filePath}.defrag`;
    removeDatabaseFiles(copyPath);
    // The copy reads a committed snapshot: what the open group holds must be in it, since only
    // writes from here on are recorded for the catch-up.
    this.commitGroup();
    this.written = new Map(tableNames.map((name) => [name, new Set<string>()]));
    const target = Backend.openRoot(copyPath, true);
    let swapped = false;
    try {
      const targetTables = new Map(tableNames.map((name) => [name, Backend.openTable(target, name)]));
      const source = this.root;
      const snapshot = source.useReadTransaction();
      try {
        for (const name of tableNames) {
          if (!(await this.copyTable(source, snapshot, name, target, targetTables.get(name)!))) return false;
        }
      } finally {
        snapshot.done();
      }
      for (let round = 0; ; round++) {
        const written = this.takeWritten();
        if (countKeys(written) <= defragmentCatchUpKeysMax) {
          // From here to the reopen everything is synchronous: no write can interleave.
          this.copyWritten(written, target, targetTables);
          void target.close();
          this.commitGroup();
          this.closeRoot();
          syncFile(copyPath);
          fs.renameSync(copyPath, this.filePath);
          syncFile(path.dirname(this.filePath));
          fs.rmSync(`${this.filePath}-lock`, { force: true });
          this.root = Backend.openRoot(this.filePath, this.unsafeNoSync);
          this.closed = false;
          this.openTables();
          swapped = true;
          return true;
        }
        if (round >= defragmentCatchUpRoundsMax) return false;
        if (!(await this.copyWrittenInSteps(written, target, targetTables))) return false;
      }
    } finally {
      if (!swapped) {
        void target.close();
        removeDatabaseFiles(copyPath);
      }
    }
  }

  /** Copies one table from `snapshot`, a step at a time; false when the backend closed meanwhile. */
  private async copyTable(
    source: RootDatabase<Buffer, Buffer>,
    snapshot: ReturnType<RootDatabase['useReadTransaction']>,
    name: TableName,
    target: RootDatabase<Buffer, Buffer>,
    targetTable: Database<Buffer, Buffer>,
  ): Promise<boolean> {
    const sourceTable = Backend.openTable(source, name);
    let after: Buffer | null = null;
    for (;;) {
      const range: RangeOptions = { transaction: snapshot, limit: defragmentChunkEntriesMax };
      if (after !== null) Object.assign(range, { start: after, exclusiveStart: true });
      let bytes = 0;
      let count = 0;
      target.transactionSync(() => {
        for (const { key, value } of sourceTable.getRange(range)) {
          targetTable.putSync(key, value, { append: true });
          after = Buffer.from(key);
          count += 1;
          bytes += key.length + value.length;
          if (bytes >= defragmentChunkBytesMax) break;
        }
      });
      if (count === 0) return true;
      await nextTurn();
      if (this.closed || this.root !== source) return false;
    }
  }

  /** Takes the keys written so far and starts a new record. */
  private takeWritten(): WrittenKeys {
    const written = this.written;
    assert(written !== null, 'a defragment records writes');
    this.written = new Map(tableNames.map((name) => [name, new Set<string>()]));
    return written;
  }

  /** Makes `target` hold the current value (or absence) of every key in `written`. */
  private copyWritten(written: WrittenKeys, target: RootDatabase<Buffer, Buffer>, tables: Map<TableName, Database<Buffer, Buffer>>): void {
    target.transactionSync(() => {
      for (const [name, keys] of written) {
        const source = this.table(name);
        const targetTable = tables.get(name)!;
        for (const text of keys) {
          const key = Buffer.from(text, 'latin1');
          const value = source.get(key);
          if (value === undefined) targetTable.removeSync(key);
          else targetTable.putSync(key, value);
        }
      }
    });
  }

  /** `copyWritten` in bounded steps with the event loop free between them; false when closed meanwhile. */
  private async copyWrittenInSteps(
    written: WrittenKeys,
    target: RootDatabase<Buffer, Buffer>,
    tables: Map<TableName, Database<Buffer, Buffer>>,
  ): Promise<boolean> {
    const source = this.root;
    for (const [name, keys] of written) {
      const all = [...keys];
      for (let from = 0; from < all.length; from += defragmentCatchUpKeysMax) {
        this.copyWritten(new Map([[name, new Set(all.slice(from, from + defragmentCatchUpKeysMax))]]), target, tables);
        await nextTurn();
        if (this.closed || this.root !== source) return false;
      }
    }
    return true;
  }

/** Flushes committed transactions to disk. */
  sync(): Promise<void> {
    assert(!this.closed, 'backend is closed');
    this.commitGroup();
    const root = this.root as unknown as { sync(callback: (error: unknown) => void): void };
    return new Promise((resolve, reject) =>
      root.sync((error) => (error ? reject(error instanceof Error ? error : new Error('LMDB sync failed')) : resolve())),
    );
  }

  sizes(): BackendSizes {
    const stats = this.root.getStats() as {
      pageSize: number;
      lastPageNumber: number;
      root: PageStats;
    };
    let pagesInUse = 2 + pagesOf(stats.root);
    for (const name of tableNames) pagesInUse += pagesOf(this.table(name).getStats());
    const pagesTotal = stats.lastPageNumber + 1;
    return {
      dbSizeBytes: pagesTotal * stats.pageSize,
      dbSizeInUseBytes: Math.min(pagesInUse, pagesTotal) * stats.pageSize,
    };
  }

  private closeRoot(): void {
    this.tables.clear();
    this.closed = true;
    void this.root.close();
  }

  /** Closes the environment. Pending synchronous transactions have already committed. */
  close(): void {
    if (this.closed) return;
    this.commitGroup();
    this.closeRoot();
  }
}

interface PageStats {
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
}

function countKeys(written: WrittenKeys): number {
  let count = 0;
  for (const keys of written.values()) count += keys.size;
  return count;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Removes an LMDB file and its lock file, if present. */
function removeDatabaseFiles(filePath: string): void {
  fs.rmSync(filePath, { force: true });
  fs.rmSync(`${filePath}-lock`, { force: true });
}

function pagesOf(stats: PageStats): number {
  return stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages;
}
