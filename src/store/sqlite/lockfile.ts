/**
 * One process owns a database: `<db>.lock` holds the owner's pid. A second `baton serve` on
 * the same file refuses to start instead of running the same executions twice. A lock left by
 * a killed process (its pid is gone) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { DatabaseFileError } from "./database-files.ts";

export class DatabaseInUseError extends Error {
  override name = "DatabaseInUseError";
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // A killed process stays a zombie until its parent reaps it: on Linux, that is not alive.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

/**
 * Takes the lock or throws `DatabaseInUseError` (another process has it) or `DatabaseFileError`
 * (the lock file cannot be created, read or, when stale, removed); returns the release function.
 */
export function acquireLock(dbPath: string): () => void {
  const lockPath = `${dbPath}.lock`;
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(lockPath, "utf8").trim() === String(process.pid)) unlinkSync(lockPath);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw lockFileError(lockPath, err);
    }
    let owner = NaN;
    try {
      owner = Number.parseInt(readFileSync(lockPath, "utf8"), 10);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw lockFileError(lockPath, err);
      continue; // removed meanwhile: try again
    }
    if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
      throw new DatabaseInUseError(`process ${owner} is using it (remove ${lockPath} only if no Baton is running)`);
    }
    try {
      unlinkSync(lockPath); // stale: its owner died
    } catch (err) {
      // ENOENT: another starter removed it first. Anything else would fail the same way 3 times.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw lockFileError(lockPath, err);
    }
  }
  throw new DatabaseInUseError(`could not take ${lockPath}`);
}

function lockFileError(lockPath: string, err: unknown): DatabaseFileError {
  return new DatabaseFileError("lock", lockPath, (err as NodeJS.ErrnoException).code ?? "EIO");
}
