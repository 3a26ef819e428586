// The LMDB environment under the store and the lessor: one database file, a fixed set of named
// tables with binary keys and values, synchronous write transactions, consistent copies,
// defragmentation by compacting copy and swap, and size figures. LMDB flushes its data pages at
// every commit but not its meta page (MDB_NOMETASYNC): a power loss may undo the last commit, which
// the write-ahead log (the durability point) replays, but never leaves the file inconsistent —
// without any flush (MDB_NOSYNC) a power loss can corrupt the database on a filesystem that
// reorders writes. `sync()` flushes everything, at snapshot time. Files swapped in (a compacted
// copy, an installed snapshot) are flushed before the rename that makes them live.
// What the tables hold is decided by their owners (mvccStore.ts, core/lease, core/auth).
import fs from 'node:fs';
import path from 'node:path';
import { open } from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';
import { assert } from '../raft/assert.js';

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

/** A table handle: binary keys, binary values. */
export type Table = Database<Buffer, Buffer>;

/** How many times `defragment` retries when writes land while it copies. */
export const defragmentAttemptsMax = 5;

/** The database file's name inside a store directory. */
export const databaseFileName = 'store.mdb';

export interface BackendSizes {
  /** Bytes the database file occupies (pages up to the highest one ever used). */
  readonly dbSizeBytes: number;
  /** Bytes of pages that hold live data; the rest is free space a defragment would return. */
  readonly dbSizeInUseBytes: number;
}

/** An LMDB environment with the store's tables. Not safe to share between processes. */
export class Backend {
  private root: RootDatabase<Buffer, Buffer>;
  private tables = new Map<TableName, Table>();
  private writeCount = 0;
  private closed = false;

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
      this.tables.set(name, this.root.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' }));
    }
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

  /** Runs `action` in one synchronous write transaction; a throw aborts every write in it. */
  transact<T>(action: () => T): T {
    assert(!this.closed, 'backend is closed');
    this.writeCount += 1;
    return this.root.transactionSync(action);
  }

  /** Writes a consistent copy of the database to `filePath` (compacted when `compact`). */
  async copyTo(filePath: string, compact: boolean): Promise<void> {
    assert(!this.closed, 'backend is closed');
    await this.root.backup(filePath, compact);
  }

  /**
   * Rewrites the database compactly and swaps it in. Writes that land while the copy runs make
   * the copy stale; it is then retried, at most `defragmentAttemptsMax` times. Returns whether the
   * swap happened.
   */
  async defragment(): Promise<boolean> {
    const copyPath = `${this.filePath}.defrag`;
    for (let attempt = 0; attempt < defragmentAttemptsMax; attempt++) {
      const writesBefore = this.writeCount;
      fs.rmSync(copyPath, { force: true });
      await this.copyTo(copyPath, true);
      if (this.closed) break;
      if (this.writeCount !== writesBefore) continue;
      // Everything from here to the reopen is synchronous: no write can interleave.
      this.closeRoot();
      syncFile(copyPath);
      fs.renameSync(copyPath, this.filePath);
      syncFile(path.dirname(this.filePath));
      fs.rmSync(`${this.filePath}-lock`, { force: true });
      this.root = Backend.openRoot(this.filePath, this.unsafeNoSync);
      this.closed = false;
      this.openTables();
      return true;
    }
    fs.rmSync(copyPath, { force: true });
    return false;
  }

  /** Flushes committed transactions to disk. */
  sync(): Promise<void> {
    assert(!this.closed, 'backend is closed');
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
    for (const name of tableNames) pagesInUse += pagesOf(this.table(name).getStats() as PageStats);
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
    if (!this.closed) this.closeRoot();
  }
}

interface PageStats {
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
}

function pagesOf(stats: PageStats): number {
  return stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages;
}
