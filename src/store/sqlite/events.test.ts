/**
 * The history in SQLite: the events one write appends to one execution share a row (the
 * first in columns, the rest in `more`), numbered contiguously, and a new store on the same
 * database goes on numbering after the last.
 */
import { beforeEach, describe, expect, test } from "bun:test";
import { err, newExecution, sqliteWithJob, T0 } from "../../../test/store/fixtures.ts";
import { StaleStateError } from "../../domain/transitions.ts";
import type { Database } from "./driver.ts";
import { SqliteStore } from "./store.ts";

let db: Database;
let store: SqliteStore;

beforeEach(async () => {
  ({ db, store } = await sqliteWithJob());
});

describe("events", () => {
  test("the events of one write share a row; numbers stay contiguous, and a new store continues them", async () => {
    await store.enqueue(newExecution("e1"), T0);
    await store.admit("e1", T0 + 1, [{ taskId: "a", attempt: 1 }]);
    await store.record(
      "e1",
      [
        { kind: "complete", taskId: "a", attempt: 1, output: { n: 1 } },
        { kind: "start", taskId: "b", attempt: 1 },
      ],
      T0 + 2,
    );
    expect(db.query("SELECT seq, type, task_id, json_array_length(more) AS more FROM events ORDER BY seq").all()).toEqual([
      { seq: 1, type: "ExecutionQueued", task_id: null, more: null },
      { seq: 2, type: "ExecutionStarted", task_id: null, more: 1 },
      { seq: 4, type: "TaskCompleted", task_id: "a", more: 1 },
    ]);
    const events = (await store.events("e1"))!;
    expect(events.map((e) => [e.seq, e.type, e.taskId, e.attempt, e.at])).toEqual([
      [1, "ExecutionQueued", null, null, T0],
      [2, "ExecutionStarted", null, null, T0 + 1],
      [3, "TaskStarted", "a", 1, T0 + 1],
      [4, "TaskCompleted", "a", 1, T0 + 2],
      [5, "TaskStarted", "b", 1, T0 + 2],
    ]);
    // A write that throws appends nothing, and the next write's numbers still only grow.
    await expect(
      store.record(
        "e1",
        [
          { kind: "fail", taskId: "b", attempt: 1, error: err, skip: [] },
          { kind: "complete", taskId: "c", attempt: 1, output: null },
        ],
        T0 + 3,
      ),
    ).rejects.toBeInstanceOf(StaleStateError);
    const again = new SqliteStore(db);
    await again.record("e1", [{ kind: "retry", taskId: "b", attempt: 1, error: err, nextAttemptAt: T0 + 9 }], T0 + 4);
    const last = (await again.events("e1"))!.slice(5);
    expect(last.map((e) => [e.type, e.taskId, e.data])).toEqual([
      ["TaskRetrying", "b", { error: err, nextAttemptAt: new Date(T0 + 9).toISOString() }],
    ]);
    expect(last[0]!.seq).toBeGreaterThan(5);
    // Written by the rerun's enqueue: an event of another execution gets a row of its own.
    await again.enqueue(newExecution("e2", { rerunOf: "e1" }), T0 + 5);
    expect((await again.events("e1"))!.at(-1)).toMatchObject({ type: "ExecutionRerunCreated", data: { rerun: "e2" } });
    expect((await again.events("e2"))!.map((e) => e.type)).toEqual(["ExecutionQueued"]);
  });
});
