/**
 * What stopped a start, as the one line an operator reads: the path, the reason, what to do.
 * The store and the file readers throw facts (which file, which errno); the words live here.
 */
import { existsSync } from "node:fs";
import { basename, dirname } from "node:path";
import type { StorageError } from "../domain/errors.ts";
import { DatabaseFileError } from "../store/sqlite/database-files.ts";
import { DatabaseInUseError } from "../store/sqlite/lockfile.ts";
import type { UnreadableFile } from "./definition-files.ts";
import { currentUser, denial, isPermission, ownership } from "./file-errors.ts";

const ANOTHER_DB = "choose another file with --db or BATON_DB";

/** The database `db` could not be opened for writing. */
export function databaseProblem(err: unknown, db: string): string {
  if (err instanceof DatabaseInUseError) return `the database ${db} is in use by another 'baton serve': ${err.message}`;
  if (err instanceof DatabaseFileError) return databaseFileProblem(err, db);
  return `cannot open the database ${db}: ${oneLine(err)}`;
}

/** The database refused a write while Baton was starting (a full disk, an I/O error). */
export function storageProblem(err: StorageError, db: string): string {
  return `the database ${db} refused a write while starting: ${err.reason}; free space on (or fix) the disk holding ${dirname(db)}, then start again`;
}

function databaseFileProblem({ role, path, code, detail }: DatabaseFileError, db: string): string {
  const name = basename(db);
  if (code === "ENOSPC" || code.startsWith("SQLITE_FULL")) {
    return `cannot write the database ${db}: no space left on the device holding ${dirname(db)} (${role === "lock" ? `creating ${path}` : code}); free some space there, or ${ANOTHER_DB}`;
  }
  const fix = (permissionFix: string) =>
    code === "EROFS" ? `choose a file on a writable file system with --db or BATON_DB` : permissionFix;
  switch (role) {
    case "database":
      if (code === "EISDIR")
        return `cannot open the database ${db}: it is a directory, not a file; name a file with --db or BATON_DB, e.g. ${db}/baton.db`;
      if (code.startsWith("SQLITE_")) {
        // The access checks passed, yet SQLite will not write: something permissions do not show.
        return `cannot write the database ${db}: SQLite refuses to write it (${code}: ${detail}) although file permissions allow it; look for a read-only mount or an immutable file (lsattr), or ${ANOTHER_DB}`;
      }
      return `cannot write the database ${db}: ${denial(code, path)}; ${fix(`give that user write access to the file and its folder, or ${ANOTHER_DB}`)}`;
    case "folder":
      if (code === "ENOTDIR") return `cannot create the database ${db}: ${path} is a file, not a folder; ${ANOTHER_DB}`;
      if (!existsSync(path)) {
        // creating it failed: the folder above refused
        return `cannot create the folder ${path} for the database ${db}: ${denial(code, dirname(path), "the folder above")}; ${fix(`create it and give that user write access to it, or ${ANOTHER_DB}`)}`;
      }
      return `cannot write the database ${db}: its folder ${path} is not writable: ${denial(code, path, "the folder")}; SQLite creates ${name}-wal and ${name}-shm there and Baton ${name}.lock: ${fix(`give that user write access to the folder, or ${ANOTHER_DB}`)}`;
    case "wal":
      return `cannot write the database ${db}: its write-ahead log ${path}: ${denial(code, path)}; ${fix("give that user write access to it (do not delete it: it holds committed changes)")}`;
    case "shm":
      return `cannot write the database ${db}: its shared-memory index ${path}: ${denial(code, path)}; ${fix("give that user write access to it, or delete it while no process uses the database (SQLite rebuilds it)")}`;
    case "lock":
      return `cannot take the lock file ${path} of the database ${db}: ${denial(code, path)}; if no Baton is running on this database, remove ${path}`;
  }
}

/** The jobs folder `dir` could not be listed (a missing folder is handled by the caller). */
export function jobsFolderProblem(err: unknown, dir: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOTDIR")
    return `the jobs folder ${dir} is not a folder; name a folder of *.json definitions with --jobs or BATON_JOBS_DIR`;
  if (!isPermission(code)) return `cannot read the jobs folder ${dir}: ${oneLine(err)}`;
  return `cannot read the jobs folder ${dir}: ${denial(code, dir, "the folder")}; give that user read access to the folder and its files, or choose another folder with --jobs or BATON_JOBS_DIR`;
}

/** Files of the jobs folder `dir` that could not be read; names the first, counts the others. */
export function jobsFilesProblem(unreadable: UnreadableFile[], dir: string): string {
  const [first, ...others] = unreadable as [UnreadableFile, ...UnreadableFile[]];
  const more = others.length > 0 ? ` (and ${others.length} more file${others.length === 1 ? "" : "s"} in ${dir})` : "";
  const owner = ownership(first.file);
  const who = isPermission(first.code) ? ` for user ${currentUser()}${owner ? `; the file belongs to ${owner}` : ""}` : "";
  const fix = isPermission(first.code) ? "give that user read access to it, or move it out of the folder" : "move it out of the folder";
  return `${first.problem}${who}${more}; ${fix}; nothing was loaded`;
}

const BUG_CLASSES = new Set(["TypeError", "RangeError", "ReferenceError", "SyntaxError"]);

/**
 * Any error as one line: its message with line breaks folded. A JavaScript error class that
 * points at a bug (TypeError…) keeps its name, so the line says it is one.
 */
export function oneLine(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, " ").trim() || "unknown error";
  return err instanceof Error && BUG_CLASSES.has(err.name) ? `${err.name}: ${message}` : message;
}
