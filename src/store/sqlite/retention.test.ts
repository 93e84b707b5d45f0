/**
 * Retention on SQLite files: a new database gives freed pages back (auto_vacuum INCREMENTAL),
 * so deleting then `releaseFreePages` shrinks the file; a database made before that keeps its
 * mode, and 'baton backup' and 'baton restore' write copies that have it.
 */
import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalJson } from "../../domain/json.ts";
import { backupDatabase, restoreDatabase } from "./backup.ts";
import { openDatabase } from "./driver.ts";
import { migrate } from "./migrations.ts";
import { SqliteStore } from "./store.ts";

const T0 = 1_700_000_000_000;
const BODY = { id: "job", tasks: [{ id: "a", functionName: "noop" }] };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "baton-retention-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const autoVacuum = (path: string) => {
  const db = openDatabase({ path });
  try {
    return (db.query("PRAGMA auto_vacuum").get() as { auto_vacuum: number }).auto_vacuum;
  } finally {
    db.close();
  }
};

/** `n` CANCELLED executions with a 4 KiB input each, ended at T0 + 1. */
async function filled(path: string, n: number): Promise<void> {
  const store = SqliteStore.open({ path });
  await store.registerDefinition("job", BODY, canonicalJson(BODY), T0);
  const ids = Array.from({ length: n }, (_, i) => `e${i}`);
  const input = { pad: "x".repeat(4096) };
  await Promise.all(
    ids.map((id) => store.enqueue({ id, definitionId: "job", definitionVersion: 1, input, tasks: [{ taskId: "a", name: "a" }] }, T0)),
  );
  await Promise.all(ids.map((id) => store.cancel(id, T0 + 1)));
  await store.close();
}

describe("incremental vacuum", () => {
  test("a new database file gives the pages of deleted executions back: the file shrinks", async () => {
    const path = join(dir, "baton.db");
    await filled(path, 2000);
    expect(autoVacuum(path)).toBe(2); // INCREMENTAL
    const full = statSync(path).size;
    const store = SqliteStore.open({ path });
    while ((await store.deleteExpired({ endedBefore: T0 + 2, keepAtMost: 0, limit: 500 })) > 0);
    const free = await store.releaseFreePages(0);
    expect(free).toBeGreaterThan(1000);
    let left = free;
    while (left > 0) left = await store.releaseFreePages(256);
    await store.close();
    expect(statSync(path).size).toBeLessThan(full / 4);
    await backupDatabase(path, join(dir, "copy.db"));
    expect(autoVacuum(join(dir, "copy.db"))).toBe(2);
  });

  test("an older database keeps its mode; a backup of it, and a restore, have incremental vacuum", async () => {
    const path = join(dir, "old.db");
    const old = new Database(path, { create: true, strict: true }); // Baton's pragmas before retention: no auto_vacuum
    old.exec("PRAGMA journal_mode = WAL");
    migrate(old);
    old.close();
    await filled(path, 10);
    expect(autoVacuum(path)).toBe(0);
    const store = SqliteStore.open({ path });
    expect(await store.deleteExpired({ endedBefore: T0 + 2, keepAtMost: 0, limit: 500 })).toBe(10);
    // Nothing to give back without the mode: the free pages stay for new rows.
    const free = await store.releaseFreePages(1000);
    expect(await store.releaseFreePages(1000)).toBe(free);
    await store.close();
    await backupDatabase(path, join(dir, "copy.db"));
    expect(autoVacuum(join(dir, "copy.db"))).toBe(2);
    await restoreDatabase(path, join(dir, "restored.db"), false);
    expect(autoVacuum(join(dir, "restored.db"))).toBe(2);
  });
});
