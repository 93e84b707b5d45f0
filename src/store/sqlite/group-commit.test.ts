/**
 * Group commit in the SQLite store: the writes asked in one turn of the event loop share one
 * transaction, resolve only after it committed, and a write that fails is rolled back alone.
 */
import { beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BODY, enqueued, eventTypes, newExecution, sqliteWithJob, T0 } from "../../../test/store/fixtures.ts";
import { canonicalJson } from "../../domain/json.ts";
import { StaleStateError } from "../../domain/transitions.ts";
import type { Database } from "./driver.ts";
import { SqliteStore } from "./store.ts";

let db: Database;
let store: SqliteStore;

beforeEach(async () => {
  ({ db, store } = await sqliteWithJob());
});

describe("group commit", () => {
  test("writes requested in one turn commit in one transaction, and resolve only after it", async () => {
    const before = store.writeStats.batches;
    const pending = [1, 2, 3].map((i) => store.enqueue(newExecution(`g${i}`), T0 + i));
    // Not applied yet: nothing is visible (or acknowledged) before the batch commits.
    expect(db.query("SELECT COUNT(*) AS n FROM executions").get()).toEqual({ n: 0 });
    await Promise.all(pending);
    expect(db.query("SELECT COUNT(*) AS n FROM executions").get()).toEqual({ n: 3 });
    expect(store.writeStats.batches - before).toBe(1);
    expect(db.inTransaction).toBe(false);
  });

  test("a write that fails its guard is rolled back alone; the rest of the batch commits", async () => {
    await enqueued(store, 2);
    const before = store.writeStats.batches;
    const ok = store.admit("e1", T0 + 10, [{ taskId: "a", attempt: 1 }]);
    // b is PENDING with attempt 0, so completing it fails after nothing was written.
    const bad = store.record(
      "e2",
      [
        { kind: "start", taskId: "a", attempt: 1 },
        { kind: "complete", taskId: "b", attempt: 1, output: 1 },
      ],
      T0 + 10,
    );
    const ok2 = store.admit("e2", T0 + 10);
    expect(await ok).not.toBeNull();
    await expect(bad).rejects.toBeInstanceOf(StaleStateError);
    expect(await ok2).not.toBeNull();
    expect(store.writeStats.batches - before).toBe(1);
    // The failed record's first step (starting e2's task a) was rolled back with it.
    expect((await store.loadExecution("e2"))!.tasks[0]).toMatchObject({ taskId: "a", status: "PENDING", attempts: 0 });
    expect(await eventTypes(store, "e2")).toEqual(["ExecutionQueued", "ExecutionStarted"]);
    expect(await eventTypes(store, "e1")).toEqual(["ExecutionQueued", "ExecutionStarted", "TaskStarted:a"]);
  });

  test("enqueueStarted is one commit", async () => {
    const batches = store.writeStats.batches;
    await store.enqueueStarted(newExecution("e1"), T0, [{ taskId: "a", attempt: 1 }]);
    expect(store.writeStats.batches).toBe(batches + 1);
  });

  test("close() commits writes still waiting for their turn", async () => {
    const dir = mkdtempSync(join(tmpdir(), "baton-gc-"));
    try {
      const path = join(dir, "b.db");
      const first = SqliteStore.open({ path });
      await first.registerDefinition("job", BODY, canonicalJson(BODY), T0);
      const pending = first.enqueue(newExecution("late"), T0);
      first.close();
      await pending;
      const reopened = SqliteStore.open({ path });
      expect((await reopened.loadExecution("late"))?.status).toBe("QUEUED");
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
