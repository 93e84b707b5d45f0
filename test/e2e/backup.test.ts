/**
 * Online backup and restore with the binary: under a write load, `baton backup --db` takes a
 * copy while the server commits; `baton restore` puts it in place under a new path, a second
 * server starts on it, and every execution acknowledged before the backup began is there, in a
 * database whose `PRAGMA integrity_check` is ok. A restore onto the running server's database
 * is refused; bad usage is exit 2. POST /system/backup does the same from inside the server.
 */
import { expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { openReadOnly } from "../../src/store/sqlite/driver.ts";
import { register, runBaton, startBaton, state, tempDir, waitFor } from "./harness.ts";
import { startSubmitters } from "./submitters.ts";

const TICK = { id: "tick", tasks: [{ id: "a", functionName: "noop" }] };

test("a backup under write load holds every execution acknowledged before it began, and restores into a working server", async () => {
  const dir = tempDir();
  const db = join(dir, "baton.db");
  const copy = join(dir, "copy.db");
  const restored = join(dir, "restored", "baton.db");
  mkdirSync(join(dir, "backups"));
  const baton = await startBaton({ db, jobs: null, args: ["--backup-dir", join(dir, "backups")] });
  await register(baton, TICK);
  const load = startSubmitters(baton, { clients: 8, next: (c, i) => ({ definitionId: "tick", input: { c, i } }) });
  let acknowledgedBefore: string[] = [];
  let acknowledgedBeforeRoute: string[] = [];
  let routeFile = "";
  try {
    await waitFor("a few hundred acknowledged submissions", async () => load.accepted.length >= 300);
    acknowledgedBefore = load.accepted.map((s) => s.id);
    const backup = await runBaton(["backup", "--db", db, copy]);
    expect(backup.stderr).toBe("");
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(new RegExp(`^backed up ${db} to ${copy}: \\d+ bytes in \\d+ ms\\n$`));
    // The server kept committing through the backup.
    const during = load.accepted.length;
    await waitFor("more submissions after the backup", async () => load.accepted.length > during + 50);

    // The same through the API, written by the server into --backup-dir.
    acknowledgedBeforeRoute = load.accepted.map((s) => s.id);
    const answer = await baton.json("POST", "/system/backup");
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      file: expect.stringMatching(/\/backups\/baton-\d{8}T\d{9}Z\.db$/),
      bytes: expect.any(Number),
      durationMs: expect.any(Number),
    });
    routeFile = answer.body.file;

    // No restore onto a database a running Baton holds; nothing is changed.
    const held = await runBaton(["restore", copy, "--db", db, "--force"]);
    expect(held.code).toBe(1);
    expect(held.stderr).toMatch(
      new RegExp(
        `^baton: a Baton is running on ${db}, refusing to replace it under it: process ${baton.proc.pid} is using it .*; stop it first\\n$`,
      ),
    );
  } finally {
    await load.stop();
    await baton.stop();
  }
  expect(load.refused).toEqual([]);

  const restore = await runBaton(["restore", copy, "--db", restored]);
  expect(restore.stderr).toBe("");
  expect(restore.code).toBe(0);
  expect(restore.stdout).toMatch(/^restored .* \(schema version \d+, \d+ bytes\); start with: baton serve --db /);
  const again = await runBaton(["restore", copy, "--db", restored]);
  expect(again.code).toBe(1);
  expect(again.stderr).toBe(
    `baton: ${restored} already exists; add --force to replace it (stop every Baton using it first), or restore to another path\n`,
  );

  const check = openReadOnly(restored);
  try {
    expect(check.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
    const stored = new Set((check.query("SELECT id FROM executions").all() as { id: string }[]).map((r) => r.id));
    expect(acknowledgedBefore.filter((id) => !stored.has(id))).toEqual([]);
  } finally {
    check.close();
  }

  // The server's own backup restores and holds what was acknowledged before it was asked for.
  const fromRoute = join(dir, "from-route.db");
  expect((await runBaton(["restore", routeFile, "--db", fromRoute])).code).toBe(0);
  const checkRoute = openReadOnly(fromRoute);
  try {
    expect(checkRoute.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
    const stored = new Set((checkRoute.query("SELECT id FROM executions").all() as { id: string }[]).map((r) => r.id));
    expect(acknowledgedBeforeRoute.filter((id) => !stored.has(id))).toEqual([]);
  } finally {
    checkRoute.close();
  }

  const second = await startBaton({ db: restored, jobs: null });
  try {
    for (const id of [acknowledgedBefore[0]!, acknowledgedBefore.at(-1)!]) expect((await state(second, id)).id).toBe(id);
    expect((await second.json("POST", "/jobs/tick/execute", { after: "restore" })).status).toBe(202);
  } finally {
    await second.stop();
  }
});

test("backup and restore: bad usage is exit 2 with one line, an existing output is never overwritten", async () => {
  const dir = tempDir();
  const usage = await runBaton(["backup", join(dir, "out.db")]);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toBe(
    "baton: name the database with --db PATH (or BATON_DB), e.g. baton backup --db data/baton.db backups/baton-1.db (see 'baton --help')\n",
  );
  expect((await runBaton(["restore", "--db", join(dir, "x.db")])).code).toBe(2);
  const missing = await runBaton(["backup", "--db", join(dir, "none.db"), join(dir, "out.db")]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe(`baton: there is no database at ${join(dir, "none.db")}; name the file 'baton serve --db' uses\n`);
  expect(existsSync(join(dir, "out.db"))).toBe(false);
});
