/**
 * What the binary cannot serve, it refuses: exit 1 and exactly one line on stderr naming the
 * path, the reason and what to do, never a stack trace, and the database left as it was.
 * Root is never refused a file, so permission cases run the binary as nobody through setpriv.
 *
 * Over 300 lines: one table of refusals shares one fixture (the binary, a seeded database and
 * its checksum); split, each file would build them again.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../../src/store/sqlite/driver.ts";
import { BINARY, execute, JOBS, register, spawnBaton, startBaton, tempDir } from "./harness.ts";

const NOBODY = 65534;
const ROOT = process.getuid?.() === 0;
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
const AS_NOBODY = ROOT && SETPRIV !== undefined;
/**
 * Copies of the binary and the example jobs that nobody can reach: the checkout may sit under
 * a folder only root can enter (CI clones wherever it likes).
 */
const SHARED = (() => {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  const binary = join(dir, "baton");
  const jobs = join(dir, "jobs");
  if (AS_NOBODY) {
    copyFileSync(BINARY, binary);
    chmodSync(binary, 0o755);
    mkdirSync(jobs, { mode: 0o755 });
    for (const f of readdirSync(JOBS)) copyFileSync(join(JOBS, f), join(jobs, f));
    for (const f of readdirSync(jobs)) chmodSync(join(jobs, f), 0o644);
  }
  return { binary, jobs };
})();

/** Appended to the name of a test that needs another user, so a skip says why. */
const NEEDS_ROOT = AS_NOBODY
  ? ""
  : ROOT
    ? " (skipped: needs setpriv to run as nobody)"
    : " (skipped: needs root to run the binary as another user)";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the binary, as nobody when `asNobody`; a process still running after 4 s started instead of refusing. */
async function run(
  args: string[],
  { asNobody = false, env = {} }: { asNobody?: boolean; env?: Record<string, string> } = {},
): Promise<Run> {
  const cwd = tempDir();
  chmodSync(cwd, 0o755);
  const proc = asNobody
    ? spawnBaton([`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", SHARED.binary, ...args], { binary: SETPRIV, cwd, env })
    : spawnBaton(args, { cwd, env });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 4_000); // a refusal takes about 30 ms
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  if (proc.signalCode === "SIGKILL") throw new Error(`baton did not refuse to start within 4 s:\n${stderr}`);
  return { code, stdout, stderr };
}

const serve = (db: string, jobs = AS_NOBODY ? SHARED.jobs : JOBS) => [
  "serve",
  "--host",
  "127.0.0.1",
  "--port",
  "0",
  "--db",
  db,
  "--jobs",
  jobs,
];

/** Exit 1, exactly one line on stderr, every part in it, no stack trace. */
function expectRefusal({ code, stdout, stderr }: Run, ...parts: string[]): void {
  expect(stderr).toMatch(/^baton: cannot start: [^\n]+\n$/);
  expect(stderr).not.toContain("    at ");
  for (const part of parts) expect(stderr).toContain(part);
  expect(stdout).toBe("");
  expect(code).toBe(1);
}

/** Every file of a folder by name, with a hash of its bytes: a refusal must change none of them. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => [
        name,
        existsSync(join(dir, name))
          ? createHash("sha256")
              .update(readFileSync(join(dir, name)))
              .digest("hex")
          : "?",
      ]),
  );
}

/** A Baton database with a definition and a finished execution, closed cleanly (no -wal left). */
let seed: string;
beforeAll(async () => {
  seed = join(tempDir(), "seed.db");
  const baton = await startBaton({ db: seed, jobs: null });
  await register(baton, { id: "kept", tasks: [{ id: "t", functionName: "noop" }] });
  await execute(baton, "kept");
  expect(await baton.stop()).toBe(0);
  expect(existsSync(`${seed}-wal`)).toBe(false);
});

/** A folder holding a copy of the seed database, both owned by nobody and writable by it. */
function databaseFolder(): { dir: string; db: string } {
  const dir = tempDir();
  const db = join(dir, "baton.db");
  copyFileSync(seed, db);
  if (ROOT) {
    chownSync(dir, NOBODY, NOBODY);
    chownSync(db, NOBODY, NOBODY);
  }
  return { dir, db };
}

describe("the database", () => {
  test.skipIf(!AS_NOBODY)(`a database file its owner made read-only (mode 444)${NEEDS_ROOT}`, async () => {
    const { dir, db } = databaseFolder();
    chmodSync(db, 0o444);
    const before = snapshot(dir);
    expectRefusal(
      await run(serve(db), { asNobody: true }),
      `cannot write the database ${db}: permission denied for user nobody (uid 65534)`,
      "mode 444",
      "--db or BATON_DB",
    );
    expect(snapshot(dir)).toEqual(before);
  });

  test.skipIf(!AS_NOBODY)(`a database file owned by another user${NEEDS_ROOT}`, async () => {
    const { dir, db } = databaseFolder();
    chownSync(db, 0, 0);
    chmodSync(db, 0o644);
    const before = snapshot(dir);
    expectRefusal(
      await run(serve(db), { asNobody: true }),
      `cannot write the database ${db}: permission denied for user nobody (uid 65534)`,
      "belongs to root (uid 0)",
    );
    expect(snapshot(dir)).toEqual(before);
  });

  test.skipIf(!AS_NOBODY)(`a database folder it cannot write, though the file itself is writable${NEEDS_ROOT}`, async () => {
    const { dir, db } = databaseFolder();
    chownSync(dir, 0, 0);
    chmodSync(dir, 0o755);
    const before = snapshot(dir);
    expectRefusal(
      await run(serve(db), { asNobody: true }),
      `cannot write the database ${db}: its folder ${dir} is not writable: permission denied`,
      "baton.db.lock",
      "write access to the folder",
    );
    expect(snapshot(dir)).toEqual(before);
  });

  test.skipIf(!AS_NOBODY)(`a database folder it cannot create${NEEDS_ROOT}`, async () => {
    const parent = tempDir();
    chmodSync(parent, 0o755);
    const db = join(parent, "data", "baton.db");
    expectRefusal(
      await run(serve(db), { asNobody: true }),
      `cannot create the folder ${join(parent, "data")} for the database ${db}: permission denied`,
      "belongs to root (uid 0)",
    );
    expect(readdirSync(parent)).toEqual([]);
  });

  test.skipIf(!AS_NOBODY)(`a write-ahead log owned by another user${NEEDS_ROOT}`, async () => {
    const { dir, db } = databaseFolder();
    const baton = await startBaton({ db, jobs: null });
    await execute(baton, "kept");
    await baton.kill9(); // leaves committed work in the -wal
    expect(existsSync(`${db}-wal`)).toBe(true);
    // SQLite run as root hands the -wal it creates to the database's owner; one restored or
    // copied as root is root's.
    chownSync(`${db}-wal`, 0, 0);
    chmodSync(`${db}-wal`, 0o644);
    rmSync(`${db}.lock`); // not the killed process's lock: only the log is in the way
    const before = snapshot(dir);
    expectRefusal(
      await run(serve(db), { asNobody: true }),
      `cannot write the database ${db}: its write-ahead log ${db}-wal: permission denied`,
      "belongs to root (uid 0), mode 644",
      "do not delete it",
    );
    expect(snapshot(dir)).toEqual(before);
  });

  test.skipIf(!AS_NOBODY)(`a shared-memory index it cannot write${NEEDS_ROOT}`, async () => {
    const { dir, db } = databaseFolder();
    writeFileSync(`${db}-shm`, Buffer.alloc(32 * 1024));
    chmodSync(`${db}-shm`, 0o644);
    const before = snapshot(dir);
    expectRefusal(
      await run(serve(db), { asNobody: true }),
      `cannot write the database ${db}: its shared-memory index ${db}-shm: permission denied`,
      "SQLite rebuilds it",
    );
    expect(snapshot(dir)).toEqual(before);
  });

  test.skipIf(!AS_NOBODY)(`a stale lock file it cannot replace (root's, in a sticky folder such as /tmp)${NEEDS_ROOT}`, async () => {
    const { dir, db } = databaseFolder();
    chownSync(dir, 0, 0);
    chmodSync(dir, 0o1777);
    writeFileSync(`${db}.lock`, "2147483647\n"); // no such process: stale, but only root may remove it here
    const before = snapshot(dir);
    expectRefusal(
      await run(serve(db), { asNobody: true }),
      `cannot take the lock file ${db}.lock of the database ${db}: operation not permitted for user nobody`,
      `remove ${db}.lock`,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  test("a database path that is a directory", async () => {
    const db = join(tempDir(), "baton.db");
    mkdirSync(db);
    expectRefusal(await run(serve(db)), `cannot open the database ${db}: it is a directory, not a file`);
    expect(readdirSync(db)).toEqual([]);
  });

  test("a database path under a regular file", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "data"), "a file, not a folder");
    const db = join(dir, "data", "baton.db");
    expectRefusal(await run(serve(db)), `cannot create the database ${db}: ${join(dir, "data")} is a file, not a folder`);
  });

  test("a file that is not a database stays one line, and untouched", async () => {
    const dir = tempDir();
    const db = join(dir, "baton.db");
    writeFileSync(db, "these bytes are not an SQLite database, whatever SQLite hopes ".repeat(20));
    const before = snapshot(dir);
    expectRefusal(await run(serve(db)), `cannot open the database ${db}: file is not a database`);
    expect(snapshot(dir)).toEqual(before);
  });

  test("a database from a newer Baton stays one line, and untouched", async () => {
    const { dir, db } = databaseFolder();
    const raw = openDatabase({ path: db });
    raw.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)");
    raw.close(); // the last connection folds the WAL in and removes it
    expect(readdirSync(dir)).toEqual(["baton.db"]);
    const before = snapshot(dir);
    expectRefusal(await run(serve(db)), `cannot open the database ${db}: the database has schema version 999`);
    expect(snapshot(dir)).toEqual(before);
  });

  test("BATON_DEBUG=1 adds the stack trace under the same line", async () => {
    const db = join(tempDir(), "baton.db");
    writeFileSync(db, "not a database ".repeat(40));
    const { code, stderr } = await run(serve(db), { env: { BATON_DEBUG: "1" } });
    expect(code).toBe(1);
    const [first, ...rest] = stderr.trim().split("\n");
    expect(first).toBe(`baton: cannot start: cannot open the database ${db}: file is not a database`);
    expect(rest.some((line) => line.includes("    at "))).toBe(true);
  });
});

describe("the jobs folder", () => {
  test.skipIf(!AS_NOBODY)(`a jobs folder it cannot read${NEEDS_ROOT}`, async () => {
    const { dir, db } = databaseFolder();
    const jobs = tempDir(); // mkdtemp: root's, mode 700
    writeFileSync(join(jobs, "a.json"), JSON.stringify({ id: "a", tasks: [{ id: "t", functionName: "noop" }] }));
    const before = snapshot(dir);
    expectRefusal(
      await run(serve(db, jobs), { asNobody: true }),
      `cannot read the jobs folder ${jobs}: permission denied for user nobody (uid 65534)`,
      "mode 700",
      "--jobs or BATON_JOBS_DIR",
    );
    expect(snapshot(dir)).toEqual(before);
  });

  test.skipIf(!AS_NOBODY)(`a jobs file it cannot read${NEEDS_ROOT}`, async () => {
    const { dir, db } = databaseFolder();
    const jobs = tempDir();
    chmodSync(jobs, 0o755);
    writeFileSync(join(jobs, "a.json"), JSON.stringify({ id: "a", tasks: [{ id: "t", functionName: "noop" }] }));
    writeFileSync(join(jobs, "b.json"), JSON.stringify({ id: "b", tasks: [{ id: "t", functionName: "noop" }] }));
    chmodSync(join(jobs, "b.json"), 0o600);
    const before = snapshot(dir);
    expectRefusal(
      await run(serve(db, jobs), { asNobody: true }),
      `${join(jobs, "b.json")}: cannot read the file: permission denied (EACCES) for user nobody (uid 65534)`,
      "belongs to root (uid 0), mode 600",
      "nothing was loaded",
    );
    expect(snapshot(dir)).toEqual(before);
  });
});

describe("validate names why a file cannot be read", () => {
  test.skipIf(!AS_NOBODY)(`a file it may not read${NEEDS_ROOT}`, async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const file = join(dir, "secret.json");
    writeFileSync(file, "{}");
    chmodSync(file, 0o600);
    const { code, stdout, stderr } = await run(["validate", file], { asNobody: true });
    expect(stderr).toBe(`FAIL ${file}: cannot read the file: permission denied (EACCES)\n`);
    expect(stdout).toBe("");
    expect(code).toBe(1);
  });

  test("a missing file and a directory", async () => {
    const dir = tempDir();
    const { code, stderr } = await run(["validate", join(dir, "missing.json"), dir]);
    expect(stderr).toBe(
      `FAIL ${join(dir, "missing.json")}: cannot read the file: it does not exist (ENOENT)\nFAIL ${dir}: cannot read the file: it is a directory (EISDIR)\n`,
    );
    expect(code).toBe(1);
  });
});
