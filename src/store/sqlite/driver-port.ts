/**
 * The store's port to a SQLite driver: only what the store, its migrations, group commit, the
 * checkpoint and backup workers and retention call. `driver-bun.ts` satisfies it with
 * `bun:sqlite`'s own objects (nothing in between on the hot path); `driver-node.ts` wraps
 * `node:sqlite` (Deno, or Bun when asked) to behave the same. `driver.ts` picks one at open.
 */

/** Which driver opens a database: `bun:sqlite` (Bun only) or `node:sqlite` (Deno and Bun). */
export type DriverName = "bun" | "node";

/** How a file is opened: created if missing (the store), an existing one read-write (checkpoints), or read-only (backups). */
export type OpenMode = "create" | "readwrite" | "readonly";

/** What a write statement reports. */
export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/**
 * A prepared statement. Parameters are positional (`?1`) or one object of named ones (`$id`
 * bound from `{ id }`); `true`/`false` bind as 1/0 and `undefined` as NULL. Rows are objects of
 * column values: integers as numbers, text as strings, BLOBs as `Uint8Array`, NULL as `null`.
 * Errors carry SQLite's extended result code by name in `code` (`SQLITE_FULL`, `SQLITE_IOERR_WRITE`…).
 */
export interface Statement {
  run(...params: unknown[]): RunResult;
  /** The first row, or `null` when there is none. */
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface Database {
  /** Compiles `sql` once, for a statement run many times. */
  prepare(sql: string): Statement;
  /** A statement for an occasional query (`bun:sqlite` caches it; `node:sqlite` compiles it each time). */
  query(sql: string): Statement;
  /** Runs one or more statements that return nothing. */
  exec(sql: string): void;
  /** True between BEGIN and COMMIT/ROLLBACK (SQLite rolls back by itself on some errors). */
  readonly inTransaction: boolean;
  /** Closes the connection; its statements can no longer be used. */
  close(throwOnError?: boolean): void;
}

/** What a driver file exports. */
export interface Driver {
  open(path: string, mode: OpenMode): Database;
  /**
   * SQLite's online backup of `db` into the new file `out`, where `VACUUM INTO` can be refused:
   * Deno allows it (an ATTACH) only when every permission is granted. node:sqlite only.
   */
  backup?(db: Database, out: string): Promise<void>;
}
