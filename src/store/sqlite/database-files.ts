/**
 * Proving a database file can be written before anything uses it. SQLite opens a file it may
 * not write read-only without a word, and then every write fails with "attempt to write a
 * readonly database": a server that says it is serving and answers 500 to every POST. So the
 * files are checked before opening (clear reasons for the usual cases) and a write is tried
 * after (the cases access checks cannot see: ACLs, a read-only mount, SQLite's own rules).
 */
import { accessSync, constants, existsSync, mkdirSync, statfsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { type Database, type OpenOptions, openDatabase } from "./driver.ts";

/**
 * Which file: SQLite writes the database and, beside it in the same folder, its write-ahead
 * log (`-wal`) and shared-memory index (`-shm`); Baton's `.lock` sits there too.
 */
export type DatabaseFileRole = "database" | "folder" | "wal" | "shm" | "lock";

/** A file of the database this process cannot use, and why. */
export class DatabaseFileError extends Error {
  override name = "DatabaseFileError";
  constructor(
    readonly role: DatabaseFileRole,
    /** The file or folder at fault (for ENOTDIR: the file that stands where a folder should be). */
    readonly path: string,
    /** An errno name (EACCES, EPERM, EROFS, EISDIR, ENOTDIR…), or SQLite's code when no file check explains the failure. */
    readonly code: string,
    /** SQLite's message, when `code` is SQLite's. */
    readonly detail?: string,
  ) {
    super(`${role} ${path}: ${code}${detail ? ` (${detail})` : ""}`);
  }
}

const suffixes = [
  ["wal", "-wal"],
  ["shm", "-shm"],
] as const;

/**
 * Before opening `path`: creates its folder if missing, then checks that the folder and every
 * existing file SQLite will write are writable. Throws `DatabaseFileError`; reads nothing else.
 */
export function prepareDatabaseFiles(path: string): void {
  const folder = dirname(path);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === undefined) throw err; // not the file system's answer: Deno's "run again with the --allow-write flag"
    if (e.code === "EEXIST" || e.code === "ENOTDIR") throw new DatabaseFileError("folder", fileInTheWay(folder), "ENOTDIR");
    throw new DatabaseFileError("folder", e.path ?? folder, e.code);
  }
  // A directory named as the database is the mistake to report, whoever may write its folder.
  const exists = existsSync(path);
  if (exists && statSync(path).isDirectory()) throw new DatabaseFileError("database", path, "EISDIR");
  checkAccess("folder", folder, constants.W_OK | constants.X_OK);
  if (exists) checkAccess("database", path, constants.R_OK | constants.W_OK);
  for (const [role, suffix] of suffixes) {
    if (existsSync(path + suffix)) checkAccess(role, path + suffix, constants.R_OK | constants.W_OK);
  }
}

/**
 * Opens `path` with Baton's pragmas and proves it takes a write, which is rolled back: the file
 * is left as it was. Throws `DatabaseFileError` naming the file that stops writes.
 */
export function openWritable(options: OpenOptions): Database {
  let db: Database | undefined;
  try {
    db = openDatabase(options);
    proveWritable(db, options.path);
    return db;
  } catch (err) {
    db?.close();
    throw explain(options.path, err);
  }
}

/**
 * Tries a schema change inside a transaction and rolls it back. Measured on a WAL database
 * file this user may not write (SQLite 3 in Bun 1.4.4): `BEGIN IMMEDIATE` alone succeeds, and
 * so would every read; the first page write is what fails with SQLITE_READONLY.
 */
export function proveWritable(db: Database, path: string): void {
  try {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec("CREATE TABLE baton_write_probe (x)");
    } finally {
      if (db.inTransaction) db.exec("ROLLBACK");
    }
  } catch (err) {
    throw explain(path, err);
  }
}

/** Turns SQLite's "read-only" or "cannot open" into the file to blame; other errors pass unchanged. */
function explain(path: string, err: unknown): unknown {
  if (err instanceof DatabaseFileError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== "string" || !/^SQLITE_(READONLY|CANTOPEN|PERM)/.test(code)) return err;
  try {
    prepareDatabaseFiles(path); // names the file at fault when a permission explains it
  } catch (fileError) {
    return fileError;
  }
  return new DatabaseFileError("database", path, code, (err as Error).message);
}

function checkAccess(role: DatabaseFileRole, path: string, mode: number): void {
  try {
    accessSync(path, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err; // a runtime's refusal (a Deno permission), which names its own fix
    // Root reads, writes and enters folders whatever the mode bits say (the kernel's rule, which
    // Bun's accessSync asks); Deno's judges by the bits and the owner alone, and would refuse root.
    if (code === "EACCES" && process.getuid?.() === 0 && (role === "folder" || (mode & constants.X_OK) === 0)) return;
    throw new DatabaseFileError(role, path, code);
  }
}

/** The nearest ancestor of `folder` (or itself) that exists but is not a folder. */
function fileInTheWay(folder: string): string {
  for (let p = folder; ; p = dirname(p)) {
    if (existsSync(p) && !statSync(p).isDirectory()) return p;
    if (dirname(p) === p) return folder;
  }
}

/** Free space a full disk must have again before a write is tried: about 256 pages. */
export const MIN_FREE_BYTES = 1024 * 1024;

/** Bytes free for this user on the file system holding `dir`; Infinity when it cannot be told. */
export function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
