/**
 * Online backup and restore of a database file. A backup is `VACUUM INTO` on a connection of
 * its own: one read transaction, so the copy is the database as of its first read, while the
 * writer keeps committing (WAL mode: a reader never blocks the writer). It is written under a
 * temporary name in the target folder and renamed when complete, so a crash never leaves a half
 * file under the final name. A restore checks the backup (integrity, schema version), takes the
 * target's lock (no Baton may run on it meanwhile) and puts the copy in place the same way.
 * Deno allows `VACUUM INTO` (an ATTACH) only when every permission is granted: there, a
 * backup or restore uses SQLite's online backup instead (`copyThroughSqlite`).
 */
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, statSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ConflictError } from "../../domain/errors.ts";
import type { BackupResult } from "../../domain/store.ts";
import { type Database, type DriverName, onlineBackup, openReadOnly } from "./driver.ts";
import { acquireLock } from "./lockfile.ts";
import { MIGRATIONS } from "./migrations.ts";

/** A backup or restore that cannot proceed; the message is the one line an operator reads. */
export class BackupError extends Error {
  override name = "BackupError";
}

export type { BackupResult };

function temporaryName(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
}

/** Makes a rename durable: syncs the folder that holds the new name. */
function syncFolder(folder: string): void {
  const fd = openSync(folder, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncFile(path: string): void {
  const fd = openSync(path, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Moves `temp` to `target` only if `target` does not exist (a hard link fails with EEXIST,
 * unlike rename), unless `replace`: then it renames over it.
 */
function putInPlace(temp: string, target: string, replace: boolean): void {
  if (replace) renameSync(temp, target);
  else {
    try {
      linkSync(temp, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST")
        throw new BackupError(`${target} already exists; choose another name, nothing was overwritten`);
      throw err;
    }
    unlinkSync(temp);
  }
  syncFolder(dirname(target));
}

/**
 * The copy `VACUUM INTO` writes then gives freed pages back (retention's incremental vacuum),
 * whatever the original does: how a database made before retention gets the mode. SQLite keeps
 * the wish for the connection even when it then refuses to write it into a read-only original
 * that has the mode already, so that refusal is ignored.
 */
function wantIncrementalVacuum(db: ReturnType<typeof openReadOnly>): void {
  try {
    db.exec("PRAGMA auto_vacuum = INCREMENTAL");
  } catch {
    // the original has the mode already; the copy will too
  }
}

/**
 * A copy of `db` written to `file` through SQLite: `VACUUM INTO` (compacted, incremental
 * auto_vacuum), or where Deno refuses it (see the top: SQLite then says its attach limit is 0),
 * SQLite's online backup (the pages as they are).
 */
async function copyThroughSqlite(db: Database, file: string): Promise<void> {
  try {
    db.query("VACUUM INTO ?1").run(file);
  } catch (err) {
    if (!/too many attached databases - max 0/.test(String((err as Error | null)?.message))) throw err;
    rmSync(file, { force: true });
    await onlineBackup(db, file);
  }
}

/**
 * Writes a consistent copy of the database at `dbPath` to `out`, which must not exist. Needs no
 * lock: a running server on `dbPath` keeps committing while the copy is taken. `VACUUM INTO`
 * (compacted, incremental auto_vacuum) or, where Deno refuses it, SQLite's online backup (the
 * pages as they are: the original's free pages and auto_vacuum mode). As long as the copy and
 * mostly synchronous: a server calls it through `backupInWorker`, off its event loop.
 */
export async function backupDatabase(dbPath: string, out: string, driver?: DriverName): Promise<BackupResult> {
  const started = performance.now();
  if (!existsSync(dbPath)) throw new BackupError(`there is no database at ${dbPath}; name the file 'baton serve --db' uses`);
  if (existsSync(out)) throw new BackupError(`${out} already exists; choose another name, nothing was overwritten`);
  if (!existsSync(dirname(out))) throw new BackupError(`the folder ${dirname(out)} does not exist; create it first`);
  const temp = temporaryName(out);
  const db = openReadOnly(dbPath, driver);
  try {
    wantIncrementalVacuum(db);
    await copyThroughSqlite(db, temp);
    syncFile(temp);
    putInPlace(temp, out, false);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  } finally {
    db.close();
  }
  return { file: out, bytes: statSync(out).size, durationMs: Math.round(performance.now() - started) };
}

/** Set by scripts/build.ts: where the compiled worker sits inside the executable. */
declare const BATON_BACKUP_WORKER: string | undefined;
const WORKER_URL = typeof BATON_BACKUP_WORKER === "string" ? BATON_BACKUP_WORKER : new URL("./backup-worker.ts", import.meta.url).href;

/**
 * `backupDatabase` on a thread of its own (`backup-worker.ts`). What it refuses (the file
 * exists, no folder) rejects as the domain's `ConflictError`, for the API to answer 409.
 */
export function backupInWorker(dbPath: string, out: string, driver?: DriverName): Promise<BackupResult> {
  const worker = new Worker(WORKER_URL, { type: "module" }); // Deno runs only module workers
  return new Promise<BackupResult>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<{ ok: boolean; result?: BackupResult; message?: string; backupError?: boolean }>) => {
      const m = event.data;
      if (m.ok) resolve(m.result!);
      else reject(m.backupError ? new ConflictError(m.message!) : new Error(m.message));
    };
    worker.onerror = (event) => reject(new Error(`the backup thread failed: ${event.message}`));
    worker.postMessage({ dbPath, out, driver });
  }).finally(() => worker.terminate());
}

/** Checks that `file` is a sound Baton database this build can run; returns its schema version. */
export function checkBackup(file: string, driver?: DriverName): number {
  if (!existsSync(file)) throw new BackupError(`there is no backup at ${file}`);
  let db: ReturnType<typeof openReadOnly>;
  try {
    db = openReadOnly(file, driver);
  } catch (err) {
    throw new BackupError(`cannot open the backup ${file}: ${(err as Error).message}`);
  }
  try {
    let version: number;
    try {
      const integrity = db.query("PRAGMA integrity_check").all() as { integrity_check: string }[];
      if (integrity.length !== 1 || integrity[0]!.integrity_check !== "ok")
        throw new BackupError(
          `the backup ${file} is damaged: integrity_check says ${integrity
            .map((r) => r.integrity_check)
            .slice(0, 3)
            .join("; ")}`,
        );
      version = (db.query("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null }).v ?? 0;
    } catch (err) {
      if (err instanceof BackupError) throw err;
      throw new BackupError(`the backup ${file} is not a Baton database: ${(err as Error).message}`);
    }
    if (version < 1) throw new BackupError(`the backup ${file} is not a Baton database: it has no schema version`);
    if (version > MIGRATIONS.length)
      throw new BackupError(
        `the backup ${file} has schema version ${version} but this Baton knows only ${MIGRATIONS.length}: restore it with a newer Baton`,
      );
    return version;
  } finally {
    db.close();
  }
}

/**
 * Puts the backup `file` in place as the database `dbPath` (creating its folder). Refuses while a Baton holds
 * `dbPath` (throws `DatabaseInUseError`) and, unless `force`, when `dbPath` exists. Removes the
 * target's old `-wal` and `-shm`: they belong to the database being replaced.
 */
export async function restoreDatabase(
  file: string,
  dbPath: string,
  force: boolean,
  driver?: DriverName,
): Promise<{ schemaVersion: number; bytes: number }> {
  const schemaVersion = checkBackup(file, driver);
  mkdirSync(dirname(dbPath), { recursive: true }); // as 'baton serve --db' would
  const release = acquireLock(dbPath);
  const temp = temporaryName(dbPath);
  try {
    if (existsSync(dbPath) && !force)
      throw new BackupError(
        `${dbPath} already exists; add --force to replace it (stop every Baton using it first), or restore to another path`,
      );
    const source = openReadOnly(file, driver);
    try {
      // A copy through SQLite, not of the bytes: a backup with its own -wal beside it comes out whole.
      wantIncrementalVacuum(source);
      await copyThroughSqlite(source, temp);
    } finally {
      source.close();
    }
    syncFile(temp);
    rmSync(`${dbPath}-wal`, { force: true });
    rmSync(`${dbPath}-shm`, { force: true });
    putInPlace(temp, dbPath, true);
    return { schemaVersion, bytes: statSync(dbPath).size };
  } finally {
    rmSync(temp, { force: true });
    release();
  }
}
