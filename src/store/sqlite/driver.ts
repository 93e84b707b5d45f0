/**
 * Opening SQLite for the store: the driver the running runtime gets (`bun:sqlite` under Bun,
 * `node:sqlite` otherwise, e.g. Deno; `driver` in the options overrides it), Baton's pragmas, and
 * which errors are storage faults. The drivers sit in `driver-bun.ts` and `driver-node.ts`
 * behind the port of `driver-port.ts`; each is loaded with `import()`, so a runtime without
 * `bun:sqlite` never reaches it.
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { Database, Driver, DriverName, OpenMode } from "./driver-port.ts";

export type { Database, DriverName, Statement } from "./driver-port.ts";

/** The driver of the runtime that is running: Bun's own, else `node:sqlite`. */
export const RUNTIME_DRIVER: DriverName = "bun" in process.versions ? "bun" : "node";

// node:sqlite exists on both runtimes (loading it costs about 0.2 ms), so a test under Bun can ask for it.
const DRIVERS: Record<DriverName, Driver | null> = {
  bun: RUNTIME_DRIVER === "bun" ? await import("./driver-bun.ts") : null,
  node: await import("./driver-node.ts"),
};

/** Which driver opened each connection: the checkpoint and backup workers open theirs with the same. */
const OPENED_BY = new WeakMap<Database, DriverName>();

function open(path: string, mode: OpenMode, name: DriverName = RUNTIME_DRIVER): Database {
  const driver = DRIVERS[name];
  if (!driver) throw new Error(`the SQLite driver '${name}' needs Bun; this runtime has only 'node' (node:sqlite)`);
  const db = driver.open(path, mode);
  OPENED_BY.set(db, name);
  return db;
}

/** The driver that opened `db`. */
export function driverOf(db: Database): DriverName {
  return OPENED_BY.get(db) ?? RUNTIME_DRIVER;
}

/** SQLite's online backup of `db` into the new file `out` (see `Driver.backup`): node:sqlite only. */
export function onlineBackup(db: Database, out: string): Promise<void> {
  const backup = DRIVERS[driverOf(db)]?.backup;
  return backup ? backup(db, out) : Promise.reject(new Error(`the SQLite driver '${driverOf(db)}' has no online backup`));
}

/** How hard a commit waits for the disk. NORMAL survives a process crash; FULL also survives power loss. */
export type SyncMode = "normal" | "full";

/** SQLite's automatic checkpoint threshold, in WAL pages, when nothing checkpoints in the background. */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 4_000;

export interface OpenOptions {
  /** A file path, or ":memory:". */
  path: string;
  /** @default "normal" */
  sync?: SyncMode;
  /** @default RUNTIME_DRIVER */
  driver?: DriverName;
}

export function openDatabase({ path, sync = "normal", driver: name }: OpenOptions): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const fresh = path === ":memory:" || !existsSync(path) || statSync(path).size === 0;
  const db = open(path, "create", name);
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
export function openForCheckpoints(path: string, name?: DriverName): Database {
  const db = open(path, "readwrite", name);
  db.exec("PRAGMA busy_timeout = 1000");
  return db;
}

/** A read-only connection to an existing database file, for backups and checks: never creates or writes it. */
export function openReadOnly(path: string, name?: DriverName): Database {
  const db = open(path, "readonly", name);
  db.exec("PRAGMA busy_timeout = 5000");
  return db;
}
