/**
 * How the SQLite store keeps rows: task states packed compactly, counts per status kept in
 * `execution_counts` by the same transactions, and a refused write leaving every row of every
 * table as it was (the conformance suite checks the same through the ports only).
 */
import { beforeEach, describe, expect, test } from "bun:test";
import { enqueued, err, newExecution, planIds, sqliteWithJob, T0 } from "../../../test/store/fixtures.ts";
import { StaleStateError } from "../../domain/transitions.ts";
import type { Database } from "./driver.ts";
import type { SqliteStore } from "./store.ts";

let db: Database;
let store: SqliteStore;

beforeEach(async () => {
  ({ db, store } = await sqliteWithJob());
});

/** Every row of every table: what "changes nothing" compares. */
const snapshot = () =>
  Object.fromEntries(
    ["executions", "task_outputs", "events", "job_definitions", "execution_counts", "idempotency_keys"].map((table) => [
      table,
      db.query(`SELECT * FROM ${table}`).all(),
    ]),
  );

describe("rows", () => {
  test("task states are stored compactly: defaults are left out of the row", async () => {
    await store.enqueue(newExecution("e1"), T0);
    expect(JSON.parse((db.query("SELECT tasks FROM executions WHERE id = 'e1'").get() as { tasks: string }).tasks)).toEqual([
      { taskId: "a", name: "A", status: "PENDING" },
      { taskId: "b", name: "B", status: "PENDING" },
      { taskId: "c", name: "C", status: "PENDING" },
    ]);
    await store.admit("e1", T0 + 1, [{ taskId: "a", attempt: 1 }]);
    await store.record("e1", [{ kind: "retry", taskId: "a", attempt: 1, error: err, nextAttemptAt: T0 + 9 }], T0 + 2);
    expect(JSON.parse((db.query("SELECT tasks FROM executions WHERE id = 'e1'").get() as { tasks: string }).tasks)[0]).toEqual({
      taskId: "a",
      name: "A",
      status: "RETRYING",
      attempts: 1,
      startedAt: T0 + 1,
      nextAttemptAt: T0 + 9,
      error: err,
    });
  });

  test("a null output needs no row", async () => {
    await store.enqueueStarted(newExecution("e1"), T0, [{ taskId: "a", attempt: 1 }]);
    await store.record(
      "e1",
      [
        { kind: "complete", taskId: "a", attempt: 1, output: null },
        { kind: "start", taskId: "b", attempt: 1 },
      ],
      T0,
    );
    await store.record("e1", [{ kind: "complete", taskId: "b", attempt: 1, output: { b: 1 } }], T0);
    expect(db.query("SELECT task_id, output FROM task_outputs").all()).toEqual([{ task_id: "b", output: '{"b":1}' }]);
  });

  test("refused writes leave every row of every table as it was", async () => {
    await enqueued(store, 2);
    await store.admit("e1", T0);
    await store.enqueueOnce(newExecution("k1"), { key: "k", requestHash: "h", notBefore: 0 }, T0);
    const before = snapshot();
    await expect(store.enqueue(newExecution("e1", { input: { other: true } }), T0 + 1)).rejects.toThrow(/UNIQUE/);
    await expect(store.enqueue(newExecution("x1", { definitionVersion: 9 }), T0)).rejects.toThrow(/FOREIGN KEY/);
    await expect(store.enqueueStarted(newExecution("x2"), T0, [{ taskId: "a", attempt: 2 }])).rejects.toBeInstanceOf(StaleStateError);
    await expect(store.enqueue(newExecution("x3", { rerunOf: "ghost" }), T0)).rejects.toBeInstanceOf(StaleStateError);
    await expect(
      store.enqueueOnce(newExecution("x4"), { key: "k2", requestHash: "h", notBefore: 0 }, T0, [{ taskId: "zz", attempt: 1 }]),
    ).rejects.toBeInstanceOf(StaleStateError);
    await expect(
      store.record(
        "e1",
        [
          { kind: "start", taskId: "a", attempt: 1 },
          { kind: "complete", taskId: "a", attempt: 1, output: { big: 1 } },
          { kind: "finish", status: "COMPLETED", output: 1, error: null, timedOut: true },
        ],
        T0,
      ),
    ).rejects.toBeInstanceOf(StaleStateError);
    expect(await store.admit("e1", T0)).toBeNull();
    expect(await planIds(store.recover(10, T0))).toMatchObject({ running: ["e1"] });
    expect(snapshot()).toEqual(before);
  });

  test("execution_counts stay equal to the rows per status through every transition, failed writes included", async () => {
    await enqueued(store, 4);
    await store.admit("e1", T0, [{ taskId: "a", attempt: 1 }]);
    await store.admit("e2", T0, [{ taskId: "a", attempt: 1 }]);
    await store.admit("e3", T0);
    await store.record("e1", [{ kind: "finish", status: "COMPLETED", output: null, error: null }], T0);
    await store.record("e2", [{ kind: "finish", status: "FAILED", output: null, error: { taskId: "a", ...err } }], T0);
    await expect(store.record("e4", [{ kind: "finish", status: "COMPLETED", output: null, error: null }], T0)).rejects.toBeInstanceOf(
      StaleStateError,
    );
    await store.recover(0, T0); // e3 goes back to QUEUED
    const counted = () => db.query("SELECT status, COUNT(*) AS n FROM executions GROUP BY status ORDER BY status").all();
    const kept = () => db.query("SELECT status, n FROM execution_counts WHERE n > 0 ORDER BY status").all();
    expect(kept()).toEqual(counted());
    expect(kept()).toEqual([
      { status: "COMPLETED", n: 1 },
      { status: "FAILED", n: 1 },
      { status: "QUEUED", n: 2 },
    ]);
    await store.cancel("e4", T0);
    await store.redrive("e2", T0);
    expect(kept()).toEqual(counted());
  });
});
