/** SQLite's result codes by name, from node:sqlite's number or, under Deno's exec(), its message. */
import { describe, expect, test } from "bun:test";
import { resultCodeName, resultCodeOfMessage } from "./result-codes.ts";

describe("resultCodeName", () => {
  test("names primary and extended codes as bun:sqlite does", () => {
    expect(resultCodeName(13)).toBe("SQLITE_FULL");
    expect(resultCodeName(5)).toBe("SQLITE_BUSY");
    expect(resultCodeName(10 | (3 << 8))).toBe("SQLITE_IOERR_WRITE");
    expect(resultCodeName(10 | (4 << 8))).toBe("SQLITE_IOERR_FSYNC");
    expect(resultCodeName(1555)).toBe("SQLITE_CONSTRAINT_PRIMARYKEY");
    expect(resultCodeName(2067)).toBe("SQLITE_CONSTRAINT_UNIQUE");
    expect(resultCodeName(8 | (4 << 8))).toBe("SQLITE_READONLY_DBMOVED");
    expect(resultCodeName(5 | (3 << 8))).toBe("SQLITE_BUSY_TIMEOUT");
    expect(resultCodeName(4 | (2 << 8))).toBe("SQLITE_ABORT_ROLLBACK");
  });

  test("an extended code it does not know falls back to its primary code", () => {
    expect(resultCodeName(13 | (9 << 8))).toBe("SQLITE_FULL");
    expect(resultCodeName(10 | (99 << 8))).toBe("SQLITE_IOERR");
    expect(resultCodeName(99)).toBe("SQLITE_UNKNOWN_99");
  });
});

describe("resultCodeOfMessage", () => {
  test("reads the primary code from SQLite's message", () => {
    expect(resultCodeOfMessage("database or disk is full")).toBe("SQLITE_FULL");
    expect(resultCodeOfMessage("disk I/O error")).toBe("SQLITE_IOERR");
    expect(resultCodeOfMessage("attempt to write a readonly database")).toBe("SQLITE_READONLY");
    expect(resultCodeOfMessage("database is locked")).toBe("SQLITE_BUSY");
    expect(resultCodeOfMessage("database table is locked")).toBe("SQLITE_LOCKED");
    expect(resultCodeOfMessage("unable to open database file: /data/baton.db")).toBe("SQLITE_CANTOPEN");
    expect(resultCodeOfMessage("file is not a database")).toBe("SQLITE_NOTADB");
    expect(resultCodeOfMessage("database disk image is malformed")).toBe("SQLITE_CORRUPT");
    expect(resultCodeOfMessage("UNIQUE constraint failed: t.id")).toBe("SQLITE_CONSTRAINT");
  });

  test("anything else is a plain SQL error, never a storage fault", () => {
    expect(resultCodeOfMessage("no such table: nope")).toBe("SQLITE_ERROR");
    expect(resultCodeOfMessage("cannot start a transaction within a transaction")).toBe("SQLITE_ERROR");
  });
});
