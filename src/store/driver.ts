/**
 * The one module that imports `bun:sqlite`: opening the file with Baton's pragmas. A Deno
 * build swaps this file for one on `node:sqlite`.
 */
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
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
  const db = new Database(path, { create: true, strict: true });
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(`PRAGMA synchronous = ${sync === "full" ? "FULL" : "NORMAL"}`);
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA temp_store = MEMORY");
  db.exec(`PRAGMA wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
  return db;
}

/** A second connection to an existing database file, for the checkpoint worker: never creates it. */
export function openForCheckpoints(path: string): Database {
  const db = new Database(path, { readwrite: true, create: false });
  db.exec("PRAGMA busy_timeout = 1000");
  return db;
}
