import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StorageError } from "../domain/errors.ts";
import { DatabaseFileError } from "../store/sqlite/database-files.ts";
import { DatabaseInUseError } from "../store/sqlite/lockfile.ts";
import { readSourceFiles } from "./definition-files.ts";
import { currentUser, userLabel } from "./file-errors.ts";
import { databaseProblem, jobsFilesProblem, jobsFolderProblem, oneLine, storageProblem } from "./start-errors.ts";

let dir: string;
let db: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "baton-start-errors-"));
  db = join(dir, "baton.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const errno = (code: string, path: string) =>
  Object.assign(new Error(`${code}: failed, scandir '${path}'`), { code, path, syscall: "scandir" });

function expectOneLine(line: string, ...parts: string[]): void {
  expect(line).not.toContain("\n");
  expect(line).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
  for (const part of parts) expect(line).toContain(part);
}

describe("oneLine", () => {
  test("folds a multi-line message and never shows a stack", () => {
    const err = new Error("first\n  second\nthird");
    expect(oneLine(err)).toBe("first second third");
  });

  test("keeps the name of a class that means a bug, not of others", () => {
    expect(oneLine(new TypeError("x is not a function"))).toBe("TypeError: x is not a function");
    class SchemaTooNewError extends Error {
      override name = "SchemaTooNewError";
    }
    expect(oneLine(new SchemaTooNewError("run a newer Baton"))).toBe("run a newer Baton");
  });

  test("something thrown that is not an Error", () => {
    expect(oneLine("plain string")).toBe("plain string");
    expect(oneLine(undefined)).toBe("undefined");
    expect(oneLine(new Error(""))).toBe("unknown error");
  });
});

describe("databaseProblem", () => {
  test("a file that may not be written: the path, who the process runs as, who owns it, what to do", () => {
    writeFileSync(db, "");
    chmodSync(db, 0o444);
    const line = databaseProblem(new DatabaseFileError("database", db, "EACCES"), db);
    expectOneLine(
      line,
      `cannot write the database ${db}`,
      `permission denied for user ${currentUser()}`,
      `belongs to ${userLabel(process.getuid!())}, mode 444`,
      "--db or BATON_DB",
    );
  });

  test("each file of the database is named with what it is for", () => {
    for (const [role, path, words] of [
      ["folder", dir, `its folder ${dir} is not writable`],
      ["wal", `${db}-wal`, "do not delete it"],
      ["shm", `${db}-shm`, "SQLite rebuilds it"],
      ["lock", `${db}.lock`, `remove ${db}.lock`],
    ] as const) {
      expectOneLine(databaseProblem(new DatabaseFileError(role, path, "EACCES"), db), db, path, "permission denied", words);
    }
  });

  test("a folder that could not be created, a file in the way, a directory for a file", () => {
    const missing = join(dir, "data");
    expectOneLine(
      databaseProblem(new DatabaseFileError("folder", missing, "EACCES"), join(missing, "baton.db")),
      `cannot create the folder ${missing}`,
      "the folder above belongs to",
    );
    const file = join(dir, "f");
    expectOneLine(
      databaseProblem(new DatabaseFileError("folder", file, "ENOTDIR"), join(file, "baton.db")),
      `${file} is a file, not a folder`,
    );
    expectOneLine(
      databaseProblem(new DatabaseFileError("database", db, "EISDIR"), db),
      `cannot open the database ${db}: it is a directory`,
    );
  });

  test("a read-only file system asks for another place, not for permissions", () => {
    const line = databaseProblem(new DatabaseFileError("database", db, "EROFS"), db);
    expectOneLine(line, "read-only file system", "writable file system");
    expect(line).not.toContain("give that user");
  });

  test("a full disk asks for space, not for permissions or removing the lock", () => {
    for (const [role, code] of [
      ["lock", "ENOSPC"],
      ["database", "SQLITE_FULL"],
    ] as const) {
      const line = databaseProblem(new DatabaseFileError(role, role === "lock" ? `${db}.lock` : db, code), db);
      expectOneLine(line, `cannot write the database ${db}: no space left on the device holding ${dir}`, "free some space there");
      expect(line).not.toContain("remove");
      expect(line).not.toContain("give that user");
    }
  });

  test("a write refused while starting names the disk", () => {
    const err = new StorageError("the database refused the write: …", false, "the disk is full (SQLITE_FULL)");
    expectOneLine(
      storageProblem(err, db),
      `the database ${db} refused a write while starting: the disk is full (SQLITE_FULL)`,
      `disk holding ${dir}`,
    );
  });

  test("SQLite refusing writes that permissions allow", () => {
    const line = databaseProblem(new DatabaseFileError("database", db, "SQLITE_READONLY", "attempt to write a readonly database"), db);
    expectOneLine(line, db, "SQLite refuses to write it (SQLITE_READONLY: attempt to write a readonly database)", "read-only mount");
  });

  test("in use, and anything else, keep one line", () => {
    expectOneLine(databaseProblem(new DatabaseInUseError("process 12 is using it"), db), "in use by another 'baton serve'", "process 12");
    expectOneLine(
      databaseProblem(new Error("file is not a database\nmore"), db),
      `cannot open the database ${db}: file is not a database more`,
    );
  });
});

describe("the jobs folder", () => {
  test("a folder that cannot be listed", () => {
    mkdirSync(join(dir, "jobs"), { mode: 0o700 });
    const jobs = join(dir, "jobs");
    expectOneLine(
      jobsFolderProblem(errno("EACCES", jobs), jobs),
      `cannot read the jobs folder ${jobs}`,
      `permission denied for user ${currentUser()}`,
      "mode 700",
      "--jobs or BATON_JOBS_DIR",
    );
    expectOneLine(jobsFolderProblem(errno("ENOTDIR", jobs), jobs), `the jobs folder ${jobs} is not a folder`);
    expectOneLine(jobsFolderProblem(errno("EIO", jobs), jobs), `cannot read the jobs folder ${jobs}: EIO`);
  });

  test("files that cannot be read: the first named with its cause, the others counted", () => {
    const jobs = join(dir, "jobs");
    mkdirSync(join(jobs, "b.json"), { recursive: true });
    const { read, unreadable } = readSourceFiles([join(jobs, "a.json"), join(jobs, "b.json")]);
    expect(read).toEqual([]);
    expect(unreadable.map((u) => u.problem)).toEqual([
      `${join(jobs, "a.json")}: cannot read the file: it does not exist (ENOENT)`,
      `${join(jobs, "b.json")}: cannot read the file: it is a directory (EISDIR)`,
    ]);
    const line = jobsFilesProblem(unreadable, jobs);
    expectOneLine(
      line,
      `${join(jobs, "a.json")}: cannot read the file: it does not exist (ENOENT)`,
      `and 1 more file in ${jobs}`,
      "nothing was loaded",
    );
    expect(line).not.toContain("b.json");
  });

  test("a permission problem says who may not read the file", () => {
    const file = join(dir, "a.json");
    writeFileSync(file, "{}");
    const line = jobsFilesProblem([{ file, code: "EACCES", problem: `${file}: cannot read the file: permission denied (EACCES)` }], dir);
    expectOneLine(
      line,
      `${file}: cannot read the file: permission denied (EACCES) for user ${currentUser()}`,
      "give that user read access",
    );
  });
});
