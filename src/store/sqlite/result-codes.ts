/**
 * SQLite's result codes by name, as `bun:sqlite` puts them in an error's `code`
 * (`SQLITE_IOERR_WRITE`), for `driver-node.ts`: `node:sqlite` gives the number (`errcode`)
 * instead, and under Deno an error from `exec()` or from opening gives only the message.
 * Numbers and messages are those of sqlite3.h and `sqlite3_errstr` (SQLite 3.53).
 */

const PRIMARY: Record<number, string> = {
  1: "ERROR",
  2: "INTERNAL",
  3: "PERM",
  4: "ABORT",
  5: "BUSY",
  6: "LOCKED",
  7: "NOMEM",
  8: "READONLY",
  9: "INTERRUPT",
  10: "IOERR",
  11: "CORRUPT",
  12: "NOTFOUND",
  13: "FULL",
  14: "CANTOPEN",
  15: "PROTOCOL",
  16: "EMPTY",
  17: "SCHEMA",
  18: "TOOBIG",
  19: "CONSTRAINT",
  20: "MISMATCH",
  21: "MISUSE",
  22: "NOLFS",
  23: "AUTH",
  24: "FORMAT",
  25: "RANGE",
  26: "NOTADB",
  27: "NOTICE",
  28: "WARNING",
};

/** Extended codes: the primary code in the low byte, the detail (listed from 1) above it. */
const EXTENDED: Record<string, string[]> = {
  ERROR: ["MISSING_COLLSEQ", "RETRY", "SNAPSHOT", "RESERVESIZE", "KEY", "UNABLE"],
  IOERR: [
    "READ",
    "SHORT_READ",
    "WRITE",
    "FSYNC",
    "DIR_FSYNC",
    "TRUNCATE",
    "FSTAT",
    "UNLOCK",
    "RDLOCK",
    "DELETE",
    "BLOCKED",
    "NOMEM",
    "ACCESS",
    "CHECKRESERVEDLOCK",
    "LOCK",
    "CLOSE",
    "DIR_CLOSE",
    "SHMOPEN",
    "SHMSIZE",
    "SHMLOCK",
    "SHMMAP",
    "SEEK",
    "DELETE_NOENT",
    "MMAP",
    "GETTEMPPATH",
    "CONVPATH",
    "VNODE",
    "AUTH",
    "BEGIN_ATOMIC",
    "COMMIT_ATOMIC",
    "ROLLBACK_ATOMIC",
    "DATA",
    "CORRUPTFS",
    "IN_PAGE",
    "BADKEY",
    "CODEC",
  ],
  LOCKED: ["SHAREDCACHE", "VTAB"],
  BUSY: ["RECOVERY", "SNAPSHOT", "TIMEOUT"],
  CANTOPEN: ["NOTEMPDIR", "ISDIR", "FULLPATH", "CONVPATH", "DIRTYWAL", "SYMLINK"],
  CORRUPT: ["VTAB", "SEQUENCE", "INDEX"],
  READONLY: ["RECOVERY", "CANTLOCK", "ROLLBACK", "DBMOVED", "CANTINIT", "DIRECTORY"],
  ABORT: ["", "ROLLBACK"],
  CONSTRAINT: [
    "CHECK",
    "COMMITHOOK",
    "FOREIGNKEY",
    "FUNCTION",
    "NOTNULL",
    "PRIMARYKEY",
    "TRIGGER",
    "UNIQUE",
    "VTAB",
    "ROWID",
    "PINNED",
    "DATATYPE",
  ],
  NOTICE: ["RECOVER_WAL", "RECOVER_ROLLBACK", "RBU"],
  WARNING: ["AUTOINDEX"],
  AUTH: ["USER"],
};

/** `SQLITE_…` for a primary or extended result code; an unknown detail falls back to its primary code. */
export function resultCodeName(code: number): string {
  const primary = PRIMARY[code & 0xff] ?? `UNKNOWN_${code & 0xff}`;
  const detail = code >> 8 === 0 ? "" : (EXTENDED[primary]?.[(code >> 8) - 1] ?? "");
  return detail === "" ? `SQLITE_${primary}` : `SQLITE_${primary}_${detail}`;
}

/** `sqlite3_errstr` of the primary codes a message can start with (the constraint's says "… constraint failed"). */
const MESSAGES: [RegExp, string][] = [
  [/^access permission denied/, "SQLITE_PERM"],
  [/^(query aborted|abort due to ROLLBACK)/, "SQLITE_ABORT"],
  [/^database is locked/, "SQLITE_BUSY"],
  [/^database table is locked/, "SQLITE_LOCKED"],
  [/^out of memory/, "SQLITE_NOMEM"],
  [/^attempt to write a readonly database/, "SQLITE_READONLY"],
  [/^interrupted/, "SQLITE_INTERRUPT"],
  [/^disk I\/O error/, "SQLITE_IOERR"],
  [/^database disk image is malformed/, "SQLITE_CORRUPT"],
  [/^database or disk is full/, "SQLITE_FULL"],
  [/^unable to open database file/, "SQLITE_CANTOPEN"],
  [/^database schema has changed/, "SQLITE_SCHEMA"],
  [/^(string or blob too big|too big)/, "SQLITE_TOOBIG"],
  [/constraint failed/, "SQLITE_CONSTRAINT"],
  [/^datatype mismatch/, "SQLITE_MISMATCH"],
  [/^file is not a database/, "SQLITE_NOTADB"],
];

/** The primary code a message of SQLite's names, or `SQLITE_ERROR` (a plain SQL error: syntax, no such table…). */
export function resultCodeOfMessage(message: string): string {
  return MESSAGES.find(([pattern]) => pattern.test(message))?.[1] ?? "SQLITE_ERROR";
}
