import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalJson } from "../../domain/json.ts";
import { BACKSTOP_PAGES, Checkpointer } from "./checkpointer.ts";
import { DEFAULT_AUTOCHECKPOINT_PAGES, openDatabase } from "./driver.ts";
import { SqliteStore } from "./store.ts";

const BODY = { id: "job", tasks: [{ id: "a", functionName: "noop" }] };
const T0 = 1_700_000_000_000;

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "baton-ckpt-"));
  path = join(dir, "baton.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Polls `check` (no timing is asserted: the limit only bounds a hung test). */
async function eventually(check: () => boolean, limitMs = 4_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("the condition never held");
    await Bun.sleep(10);
  }
}

const autocheckpoint = (store: SqliteStore) =>
  (
    (store as unknown as { db: ReturnType<typeof openDatabase> }).db.query("PRAGMA wal_autocheckpoint").get() as {
      wal_autocheckpoint: number;
    }
  ).wal_autocheckpoint;

describe.each(["bun", "node"] as const)("background checkpoints through %s", (driver) => {
  test("a file store moves committed pages into the database file from another thread", async () => {
    const store = SqliteStore.open({ path, driver });
    try {
      // The writer's own checkpoint is only a backstop, far above what this test writes.
      expect(autocheckpoint(store)).toBe(BACKSTOP_PAGES);
      const before = statSync(path).size;
      await store.registerDefinition("job", BODY, canonicalJson(BODY), T0);
      for (let i = 0; i < 50; i++) {
        await store.enqueue(
          { id: `e${i}`, definitionId: "job", definitionVersion: 1, input: { pad: "x".repeat(2000) }, tasks: [{ taskId: "a", name: "a" }] },
          T0,
        );
      }
      // Only a checkpoint writes pages into the main file; the writer did not run one.
      await eventually(() => statSync(path).size > before + 50 * 2000);
    } finally {
      store.close();
    }
  });

  test("close closes the worker's connection first, so the writer's close removes the WAL", async () => {
    const store = SqliteStore.open({ path, driver });
    await store.registerDefinition("job", BODY, canonicalJson(BODY), T0);
    await Bun.sleep(50); // let the worker open its connection and checkpoint once
    expect(existsSync(`${path}-wal`)).toBe(true);
    store.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = SqliteStore.open({ path, driver });
    expect(await reopened.getDefinition("job")).toMatchObject({ id: "job", version: 1 });
    reopened.close();
  });

  test("a worker that cannot open the database hands checkpoints back to the writer and says why", async () => {
    const db = openDatabase({ path, driver });
    const reasons: string[] = [];
    const checkpointer = new Checkpointer(db, join(dir, "missing", "nothing.db"), (reason) => reasons.push(reason));
    try {
      await eventually(() => reasons.length > 0);
      expect(reasons[0]).toMatch(/unable to open|no such file|SQLITE_CANTOPEN/i);
      expect(db.query("PRAGMA wal_autocheckpoint").get()).toEqual({ wal_autocheckpoint: DEFAULT_AUTOCHECKPOINT_PAGES });
      checkpointer.nudge(); // ignored once stopped
    } finally {
      checkpointer.close();
      db.close();
    }
  });

  test("an in-memory store has no worker and keeps SQLite's own checkpoints", () => {
    const store = SqliteStore.open({ path: ":memory:", driver });
    expect((store as unknown as { checkpointer: unknown }).checkpointer).toBeNull();
    store.close();
  });
});
