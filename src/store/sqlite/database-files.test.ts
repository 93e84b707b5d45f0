import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseFileError, openWritable, prepareDatabaseFiles, proveWritable } from "./database-files.ts";
import { openDatabase } from "./driver.ts";
import { acquireLock } from "./lockfile.ts";

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "baton-files-"));
  path = join(dir, "baton.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ROOT = process.getuid?.() === 0;
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
/** Root is never refused a file: as root, permission cases run as nobody through setpriv. */
const NO_OTHER_USER = ROOT && SETPRIV === undefined;

/**
 * Runs `code` in a child process that may not write what this test made read-only: as nobody
 * when the test runs as root (root bypasses permissions), else as this same user. Prints the
 * DatabaseFileError it throws (role, path, code) as JSON, or what `code` prints.
 */
/** mkdtemp makes the folder 700: let the other user in, and let SQLite add its files beside the database. */
const letOthersIn = () => chmodSync(dir, 0o777);

/**
 * Copies of the modules the child imports, in a folder the other user can read: the checkout
 * may sit under a folder only root can enter (CI clones wherever it likes).
 */
const modules = (() => {
  const copy = mkdtempSync(join(tmpdir(), "baton-files-src-"));
  const files = ["database-files.ts", "driver.ts", "driver-port.ts", "driver-bun.ts", "driver-node.ts", "result-codes.ts"];
  for (const f of files) copyFileSync(join(import.meta.dir, f), join(copy, f));
  for (const f of [copy, ...files.map((f) => join(copy, f))]) chmodSync(f, f === copy ? 0o755 : 0o644);
  return copy;
})();
afterAll(() => rmSync(modules, { recursive: true, force: true }));

async function asAnotherUser(code: string): Promise<unknown> {
  const script = `
    import { openWritable, prepareDatabaseFiles } from ${JSON.stringify(join(modules, "database-files.ts"))};
    import { openDatabase } from ${JSON.stringify(join(modules, "driver.ts"))};
    try { ${code} } catch (e) { console.log(JSON.stringify({ role: e.role, path: e.path, code: e.code })) }`;
  const user = ROOT ? [SETPRIV!, "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
  const proc = Bun.spawn([...user, process.execPath, "-e", script], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (out.trim() === "") throw new Error(`the child threw nothing and printed nothing: ${err}`);
  return JSON.parse(out);
}

function thrown(f: () => unknown): DatabaseFileError {
  try {
    f();
  } catch (err) {
    if (err instanceof DatabaseFileError) return err;
    throw err;
  }
  throw new Error("nothing was thrown");
}

describe("prepareDatabaseFiles", () => {
  test("creates a missing folder", () => {
    const deep = join(dir, "a", "b", "baton.db");
    prepareDatabaseFiles(deep);
    expect(existsSync(join(dir, "a", "b"))).toBe(true);
  });

  test("a database path that is a directory", () => {
    mkdirSync(path);
    expect(thrown(() => prepareDatabaseFiles(path))).toMatchObject({ role: "database", path, code: "EISDIR" });
  });

  test("a regular file where a folder of the path should be, right above or further up", () => {
    const file = join(dir, "f");
    writeFileSync(file, "");
    expect(thrown(() => prepareDatabaseFiles(join(file, "baton.db")))).toMatchObject({ role: "folder", path: file, code: "ENOTDIR" });
    expect(thrown(() => prepareDatabaseFiles(join(file, "x", "y", "baton.db")))).toMatchObject({
      role: "folder",
      path: file,
      code: "ENOTDIR",
    });
  });

  test.skipIf(NO_OTHER_USER)(
    `files this user may not write, each named${NO_OTHER_USER ? ": needs setpriv when run as root" : ""}`,
    async () => {
      letOthersIn();
      writeFileSync(path, "");
      chmodSync(path, 0o444);
      expect(await asAnotherUser(`prepareDatabaseFiles(${JSON.stringify(path)})`)).toEqual({ role: "database", path, code: "EACCES" });
      chmodSync(path, 0o666);
      writeFileSync(`${path}-wal`, "");
      chmodSync(`${path}-wal`, 0o444);
      expect(await asAnotherUser(`prepareDatabaseFiles(${JSON.stringify(path)})`)).toEqual({
        role: "wal",
        path: `${path}-wal`,
        code: "EACCES",
      });
      rmSync(`${path}-wal`);
      chmodSync(dir, 0o555);
      try {
        expect(await asAnotherUser(`prepareDatabaseFiles(${JSON.stringify(path)})`)).toEqual({ role: "folder", path: dir, code: "EACCES" });
        // a directory named as the database is the mistake to report, even in a folder it may not write
        chmodSync(dir, 0o755);
        rmSync(path);
        mkdirSync(path);
        chmodSync(dir, 0o555);
        expect(await asAnotherUser(`prepareDatabaseFiles(${JSON.stringify(path)})`)).toEqual({ role: "database", path, code: "EISDIR" });
      } finally {
        chmodSync(dir, 0o755);
      }
    },
  );
});

describe("proveWritable", () => {
  test("a writable database passes, and the probe leaves neither a table nor a changed file", () => {
    const db = openDatabase({ path });
    db.exec("CREATE TABLE kept (x)");
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const before = readFileSync(path);
    proveWritable(db, path);
    expect(db.inTransaction).toBe(false);
    expect(db.query("SELECT name FROM sqlite_schema").all()).toEqual([{ name: "kept" }]);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    expect(readFileSync(path).equals(before)).toBe(true);
    db.close();
  });

  test("a connection SQLite will not write through is refused with SQLite's code when no permission explains it", () => {
    // query_only makes SQLite answer SQLITE_READONLY exactly as for a file opened read-only.
    const db = openDatabase({ path });
    db.exec("PRAGMA query_only = ON");
    const err = thrown(() => proveWritable(db, path));
    expect(err).toMatchObject({ role: "database", path, code: "SQLITE_READONLY" });
    expect(err.detail).toContain("readonly");
    expect(db.inTransaction).toBe(false);
    db.close();
  });

  test.skipIf(NO_OTHER_USER)(
    `a file SQLite silently opened read-only is caught and named${NO_OTHER_USER ? ": needs setpriv when run as root" : ""}`,
    async () => {
      letOthersIn();
      openDatabase({ path }).close();
      chmodSync(path, 0o444);
      const p = JSON.stringify(path);
      // What the probe is for: SQLite opens the file without a word, and only a write fails.
      expect(await asAnotherUser(`openDatabase({ path: ${p} }).close(); console.log(JSON.stringify({ opened: true }))`)).toEqual({
        opened: true,
      });
      // openWritable alone, without prepareDatabaseFiles first: the probe is what notices.
      expect(await asAnotherUser(`openWritable({ path: ${p} })`)).toEqual({ role: "database", path, code: "EACCES" });
    },
  );
});

test("a file that is not a database passes SQLite's own error through", () => {
  writeFileSync(path, "not a database, just text that is long enough to fill a header ".repeat(10));
  expect(() => openWritable({ path })).toThrow("file is not a database");
});

describe("the lock file", () => {
  test("one that cannot be read is named, not reported as a database in use", () => {
    mkdirSync(`${path}.lock`); // reading it fails with EISDIR, whoever runs the test
    expect(thrown(() => acquireLock(path))).toMatchObject({ role: "lock", path: `${path}.lock`, code: "EISDIR" });
  });
});
