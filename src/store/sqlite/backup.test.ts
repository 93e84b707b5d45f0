/**
 * Backup and restore of a database file: a backup holds what was committed before it began,
 * opens as a valid store, never overwrites a file; a restore checks the backup, refuses a
 * database a process holds or an existing file without `force`, and replaces the old WAL.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConflictError } from "../../domain/errors.ts";
import { canonicalJson } from "../../domain/json.ts";
import { BackupError, backupDatabase, checkBackup, restoreDatabase } from "./backup.ts";
import { openDatabase } from "./driver.ts";
import { DatabaseInUseError } from "./lockfile.ts";
import { MIGRATIONS } from "./migrations.ts";
import { SqliteStore } from "./store.ts";

const T0 = 1_700_000_000_000;
const BODY = { id: "job", tasks: [{ id: "a", functionName: "noop" }] };
const fresh = (id: string) => ({ id, definitionId: "job", definitionVersion: 1, input: {}, tasks: [{ taskId: "a", name: "a" }] });

describe.each(["bun", "node"] as const)("through %s", (driver) => {
  let dir: string;
  let store: SqliteStore;
  let dbPath: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "baton-backup-"));
    dbPath = join(dir, "baton.db");
    store = SqliteStore.open({ path: dbPath, driver });
    await store.registerDefinition("job", BODY, canonicalJson(BODY), T0);
    for (let i = 0; i < 20; i++) await store.enqueue(fresh(`e${i}`), T0);
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ids = (s: SqliteStore) => s.listExecutions({ limit: 100 }).then((page) => page.executions.map((e) => e.id).sort());

  describe("backupDatabase", () => {
    test("copies what was committed while the store keeps running and writing, and the copy opens as a store", async () => {
      const before = await ids(store);
      const result = await backupDatabase(dbPath, join(dir, "copy.db"), driver);
      await store.enqueue(fresh("after"), T0); // the store still takes writes
      expect(result.file).toBe(join(dir, "copy.db"));
      expect(result.bytes).toBeGreaterThan(0);
      expect(checkBackup(result.file, driver)).toBe(MIGRATIONS.length);
      const copy = SqliteStore.open({ path: result.file, driver });
      try {
        expect(await ids(copy)).toEqual(before);
      } finally {
        await copy.close();
      }
      expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    });

    test("SqliteStore.backup copies on a thread of its own while writes commit", async () => {
      const before = await ids(store);
      const [result] = await Promise.all([store.backup(join(dir, "threaded.db")), store.enqueue(fresh("meanwhile"), T0)]);
      expect(result.file).toBe(join(dir, "threaded.db"));
      const copy = SqliteStore.open({ path: result.file, driver });
      try {
        const copied = await ids(copy);
        expect(copied.filter((id) => id !== "meanwhile")).toEqual(before);
      } finally {
        await copy.close();
      }
      await expect(store.backup(join(dir, "threaded.db"))).rejects.toThrow(ConflictError);
    });

    test("never overwrites a file, and says so", async () => {
      writeFileSync(join(dir, "taken.db"), "mine");
      await expect(backupDatabase(dbPath, join(dir, "taken.db"), driver)).rejects.toThrow(/already exists; choose another name/);
      await expect(backupDatabase(join(dir, "nope.db"), join(dir, "x.db"), driver)).rejects.toThrow(/there is no database at/);
      await expect(backupDatabase(dbPath, join(dir, "missing", "x.db"), driver)).rejects.toThrow(/does not exist; create it first/);
    });
  });

  describe("restoreDatabase", () => {
    test("refuses a database another process holds, and an existing file without force", async () => {
      const backup = (await backupDatabase(dbPath, join(dir, "copy.db"), driver)).file;
      // The open store holds dbPath's lock as this process; a lock naming a live other pid is a running Baton.
      writeFileSync(join(dir, "held.db.lock"), `${process.ppid}\n`);
      await expect(restoreDatabase(backup, join(dir, "held.db"), false, driver)).rejects.toThrow(DatabaseInUseError);
      writeFileSync(join(dir, "exists.db"), "old");
      await expect(restoreDatabase(backup, join(dir, "exists.db"), false, driver)).rejects.toThrow(/already exists; add --force/);
      expect(existsSync(join(dir, "exists.db.lock"))).toBe(false);
    });

    test("puts the backup in place, replacing the file and its stale WAL with force", async () => {
      const backup = (await backupDatabase(dbPath, join(dir, "copy.db"), driver)).file;
      const target = join(dir, "restored.db");
      writeFileSync(target, "old");
      writeFileSync(`${target}-wal`, "stale");
      writeFileSync(`${target}-shm`, "stale");
      expect((await restoreDatabase(backup, target, true, driver)).schemaVersion).toBe(MIGRATIONS.length);
      expect(existsSync(`${target}-wal`)).toBe(false);
      const restored = SqliteStore.open({ path: target, driver });
      try {
        expect(await ids(restored)).toEqual(await ids(store));
      } finally {
        await restored.close();
      }
    });

    test("refuses a file that is not a database, is damaged or has a newer schema", async () => {
      writeFileSync(join(dir, "text.db"), "not a database at all, just text ".repeat(200));
      await expect(restoreDatabase(join(dir, "text.db"), join(dir, "t.db"), false, driver)).rejects.toThrow(BackupError);
      const newer = join(dir, "newer.db");
      const db = openDatabase({ path: newer, driver });
      db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
      db.query("INSERT INTO schema_migrations VALUES (?1, 0)").run(MIGRATIONS.length + 1);
      db.close();
      await expect(restoreDatabase(newer, join(dir, "n.db"), false, driver)).rejects.toThrow(/this Baton knows only/);
      await expect(restoreDatabase(join(dir, "none.db"), join(dir, "n.db"), false, driver)).rejects.toThrow(/there is no backup at/);
      expect(existsSync(join(dir, "t.db")) || existsSync(join(dir, "n.db"))).toBe(false);
    });
  });
});
