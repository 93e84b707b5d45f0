/**
 * The one module that imports `bun:sqlite`: opening the file with Baton's pragmas. A Deno
 * build swaps this file for one on `node:sqlite`.
 */
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";

export type { Database, Statement } from "bun:sqlite";

/** How hard a commit waits for the disk. NORMAL survives a process crash; FULL also survives power loss. */
export type SyncMode = "normal" | "full";

/** SQLite's automatic checkpoint threshold, in WAL pages, when nothing checkpoints in the background. */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 4_000;

export interface OpenOptions {
  /** A file path, or ":memory:". */
  path: string;
  /** @default "normal" */
  sync?: SyncMode;
}

export function openDatabase({ path, sync = "normal" }: OpenOptions): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const fresh = path === ":memory:" || !existsSync(path) || statSync(path).size === 0;
  const db = new Database(path, { create: true, strict: true });
  db.exec("PRAGMA busy_timeout = 5000");
  // Only a new database can take it (before its first table): retention then gives freed pages
  // back with incremental_vacuum. An older file gets it through 'baton backup' + 'baton restore'.
  if (fresh) db.exec("PRAGMA auto_vacuum = INCREMENTAL");
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(`PRAGMA synchronous = ${sync === "full" ? "FULL" : "NORMAL"}`);
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA temp_store = MEMORY");
  db.exec(`PRAGMA wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
  return db;
}

/** A storage fault: the database could not read or write for a reason outside Baton's logic. */
export interface StorageFault {
  /** SQLite's extended code, e.g. `SQLITE_FULL`, `SQLITE_IOERR_WRITE`. */
  code: string;
  /** For people: what happened, with the code. */
  reason: string;
}

const FAULTS: [prefix: string, what: string][] = [
  ["SQLITE_FULL", "the disk is full"],
  ["SQLITE_IOERR", "the disk reported an I/O error"],
  ["SQLITE_READONLY", "the database file is read-only"],
  ["SQLITE_CANTOPEN", "the database file or its WAL cannot be opened"],
  ["SQLITE_PERM", "permission denied"],
  ["SQLITE_BUSY", "another connection holds the database lock"],
  ["SQLITE_LOCKED", "another connection holds the database lock"],
  ["SQLITE_NOMEM", "SQLite ran out of memory"],
  ["SQLITE_CORRUPT", "the database file is corrupt"],
  ["SQLITE_NOTADB", "the file is not a database"],
];

/** Classifies an error thrown by the driver: a storage fault, or null for anything else (a bug, a guard). */
export function storageFaultOf(err: unknown): StorageFault | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return null;
  const match = FAULTS.find(([prefix]) => code === prefix || code.startsWith(`${prefix}_`));
  return match ? { code, reason: `${match[1]} (${code})` } : null;
}

/** A second connection to an existing database file, for the checkpoint worker: never creates it. */
export function openForCheckpoints(path: string): Database {
  const db = new Database(path, { readwrite: true, create: false });
  db.exec("PRAGMA busy_timeout = 1000");
  return db;
}

/** A read-only connection to an existing database file, for backups and checks: never creates or writes it. */
export function openReadOnly(path: string): Database {
  const db = new Database(path, { readonly: true, create: false });
  db.exec("PRAGMA busy_timeout = 5000");
  return db;
}
