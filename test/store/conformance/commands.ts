/** What operators ask for: cancel, redrive, and rerun (a new execution carrying completed tasks over). */
import { describe, expect } from "bun:test";
import type { Store } from "../../../src/domain/store.ts";
import { completeTask, failTask, finishExecution, retryTask, startAttempt } from "../../helpers/store-steps.ts";
import { enqueued, err, eventTypes, everything, loaded, newExecution, planIds, registered, T0 } from "../fixtures.ts";
import { type MakeStore, storeTest } from "./harness.ts";

/** e1 RUNNING: a COMPLETED (output {a: 1}, 1 attempt), b FAILED after 2 attempts, c SKIPPED; then FAILED. */
async function failed(store: Store): Promise<void> {
  await store.enqueue(newExecution("e1"), T0);
  await store.admit("e1", T0, [{ taskId: "a", attempt: 1 }]);
  await completeTask(store, "e1", "a", 1, { a: 1 }, T0 + 1);
  await startAttempt(store, "e1", "b", 1, T0 + 1);
  await retryTask(store, "e1", "b", 1, err, T0 + 2, T0 + 1);
  await startAttempt(store, "e1", "b", 2, T0 + 2);
  await failTask(store, "e1", "b", 2, err, ["c"], T0 + 3);
  await finishExecution(store, "e1", "FAILED", null, { taskId: "b", ...err }, T0 + 3);
}

export function commandTests(makeStore: MakeStore): void {
  const it = storeTest(makeStore, (store) => registered(store));

  describe("cancel", () => {
    it("a QUEUED execution is CANCELLED at once, its tasks too", async (store) => {
      await enqueued(store, 2);
      expect(await store.cancel("e1", T0 + 5)).toEqual({ outcome: "cancelled" });
      const e = await loaded(store, "e1");
      expect(e).toMatchObject({ status: "CANCELLED", endTime: T0 + 5, output: null, error: null, handlersPending: false });
      expect(e.tasks.map((t) => [t.taskId, t.status, t.endTime])).toEqual([
        ["a", "CANCELLED", T0 + 5],
        ["b", "CANCELLED", T0 + 5],
        ["c", "CANCELLED", T0 + 5],
      ]);
      expect(await eventTypes(store, "e1")).toEqual([
        "ExecutionQueued",
        "ExecutionCancelRequested",
        "TaskCancelled:a",
        "TaskCancelled:b",
        "TaskCancelled:c",
        "ExecutionCancelled",
      ]);
      expect(await store.systemCounts(10)).toMatchObject({ queued: ["e2"], queuedCount: 1 });
    });

    it("a RUNNING execution gets a durable request, once; it ends when its end is recorded", async (store) => {
      await enqueued(store, 1);
      await store.admit("e1", T0, [{ taskId: "a", attempt: 1 }]);
      expect(await store.cancel("e1", T0 + 5)).toEqual({ outcome: "requested" });
      expect(await loaded(store, "e1")).toMatchObject({ status: "RUNNING", cancelRequestedAt: T0 + 5, endTime: null });
      const before = await everything(store);
      expect(await store.cancel("e1", T0 + 6)).toEqual({ outcome: "requested" });
      expect(await everything(store)).toEqual(before);
      expect((await eventTypes(store, "e1")).filter((t) => t === "ExecutionCancelRequested")).toHaveLength(1);
      // Steps still apply until the end is recorded.
      await completeTask(store, "e1", "a", 1, "a", T0 + 7);
      await store.record("e1", [{ kind: "finish", status: "CANCELLED", output: null, error: null, cancelTasks: ["b", "c"] }], T0 + 8);
      expect(await loaded(store, "e1")).toMatchObject({ status: "CANCELLED", cancelRequestedAt: T0 + 5, endTime: T0 + 8 });
      expect((await loaded(store, "e1")).tasks.map((t) => t.status)).toEqual(["COMPLETED", "CANCELLED", "CANCELLED"]);
    });

    it("a finished execution says how it finished and changes nothing; a missing one is missing", async (store) => {
      await enqueued(store, 2);
      await store.admit("e1", T0);
      await finishExecution(store, "e1", "COMPLETED", null, null, T0);
      await store.cancel("e2", T0);
      const before = await everything(store);
      expect(await store.cancel("e1", T0 + 1)).toEqual({ outcome: "finished", status: "COMPLETED" });
      expect(await store.cancel("e2", T0 + 1)).toEqual({ outcome: "finished", status: "CANCELLED" });
      expect(await store.cancel("ghost", T0 + 1)).toEqual({ outcome: "missing" });
      expect(await everything(store)).toEqual(before);
    });
  });

  describe("redrive", () => {
    it("FAILED → QUEUED: completed tasks keep their output, the others are PENDING with a fresh budget", async (store) => {
      await failed(store);
      expect(await store.redrive("e1", T0 + 10)).toEqual({ outcome: "redriven", reset: ["b", "c"] });
      const e = await loaded(store, "e1");
      expect(e).toMatchObject({ status: "QUEUED", output: null, error: null, endTime: null, cancelRequestedAt: null });
      expect(e.tasks.map((t) => [t.taskId, t.status, t.attempts, t.attemptBase, t.output, t.error, t.endTime])).toEqual([
        ["a", "COMPLETED", 1, 0, { a: 1 }, null, T0 + 1],
        ["b", "PENDING", 2, 2, null, null, null],
        ["c", "PENDING", 0, 0, null, null, null],
      ]);
      expect((await store.events("e1"))!.at(-1)).toMatchObject({
        type: "ExecutionRedriven",
        at: T0 + 10,
        data: { from: "FAILED", reset: ["b", "c"] },
      });
      expect(await store.systemCounts(10)).toMatchObject({ queued: ["e1"], queuedCount: 1 });
      // Attempt numbers keep counting: the next attempt of b is 3.
      await expect(store.admit("e1", T0 + 11, [{ taskId: "b", attempt: 1 }])).rejects.toThrow();
      await store.admit("e1", T0 + 11, [{ taskId: "b", attempt: 3 }]);
      expect((await loaded(store, "e1")).tasks[1]).toMatchObject({ status: "RUNNING", attempts: 3, attemptBase: 2 });
    });

    it("CANCELLED → QUEUED, also while a cancel was requested, and due at once", async (store) => {
      await store.enqueue(newExecution("e1", { runAt: T0 + 60_000 }), T0);
      await store.cancel("e1", T0 + 1);
      expect(await store.redrive("e1", T0 + 2)).toEqual({ outcome: "redriven", reset: ["a", "b", "c"] });
      expect(await loaded(store, "e1")).toMatchObject({ status: "QUEUED", runAt: null, endTime: null });

      await store.enqueue(newExecution("e2"), T0);
      await store.admit("e2", T0, [{ taskId: "a", attempt: 1 }]);
      await store.cancel("e2", T0 + 1);
      await store.record("e2", [{ kind: "finish", status: "CANCELLED", output: null, error: null, cancelTasks: ["a", "b", "c"] }], T0 + 2);
      expect(await store.redrive("e2", T0 + 3)).toEqual({ outcome: "redriven", reset: ["a", "b", "c"] });
      expect(await loaded(store, "e2")).toMatchObject({ status: "QUEUED", cancelRequestedAt: null });
      expect((await loaded(store, "e2")).tasks[0]).toMatchObject({ status: "PENDING", attempts: 1, attemptBase: 1 });
    });

    it("a redriven execution is not settled any more: no handlers pending, and recovery does not list it", async (store) => {
      await store.enqueue(newExecution("e1"), T0);
      await store.admit("e1", T0);
      await store.record("e1", [{ kind: "finish", status: "FAILED", output: null, error: null, handlersPending: true }], T0 + 1);
      expect(await store.redrive("e1", T0 + 2)).toMatchObject({ outcome: "redriven" });
      expect(await loaded(store, "e1")).toMatchObject({ status: "QUEUED", handlersPending: false });
      expect(await planIds(store.recover(10, T0 + 3))).toEqual({ running: [], queued: ["e1"], delayed: [], handlersPending: [] });
    });

    it("is refused for QUEUED, RUNNING and COMPLETED executions, which it leaves alone; a missing one is missing", async (store) => {
      await enqueued(store, 3);
      await store.admit("e2", T0);
      await store.admit("e3", T0);
      await finishExecution(store, "e3", "COMPLETED", { ok: true }, null, T0);
      const before = await everything(store);
      expect(await store.redrive("e1", T0 + 1)).toEqual({ outcome: "refused", status: "QUEUED" });
      expect(await store.redrive("e2", T0 + 1)).toEqual({ outcome: "refused", status: "RUNNING" });
      expect(await store.redrive("e3", T0 + 1)).toEqual({ outcome: "refused", status: "COMPLETED" });
      expect(await store.redrive("ghost", T0 + 1)).toEqual({ outcome: "missing" });
      expect(await everything(store)).toEqual(before);
    });
  });

  describe("rerun", () => {
    const rerunOfE1 = (id: string) =>
      newExecution(id, {
        rerunOf: "e1",
        tasks: [
          { taskId: "a", name: "A", carried: { output: { a: 1 } } },
          { taskId: "b", name: "B" },
          { taskId: "c", name: "C" },
        ],
      });

    it("carried tasks are COMPLETED with their output; the original hears of its rerun", async (store) => {
      await failed(store);
      const rerun = await store.enqueue(rerunOfE1("r1"), T0 + 20);
      expect(rerun).toMatchObject({ id: "r1", status: "QUEUED", rerunOf: "e1", createdAt: T0 + 20 });
      const { tasks, ...record } = await loaded(store, "r1");
      expect(record).toEqual(rerun);
      expect(tasks.map((t) => [t.taskId, t.status, t.output, t.carriedOver, t.attempts, t.endTime])).toEqual([
        ["a", "COMPLETED", { a: 1 }, true, 0, T0 + 20],
        ["b", "PENDING", null, false, 0, null],
        ["c", "PENDING", null, false, 0, null],
      ]);
      expect(await store.events("r1")).toEqual([
        expect.objectContaining({ type: "ExecutionQueued", at: T0 + 20, data: { rerunOf: "e1" } }),
      ]);
      expect((await store.events("e1"))!.at(-1)).toMatchObject({ type: "ExecutionRerunCreated", at: T0 + 20, data: { rerun: "r1" } });
      // The original is otherwise untouched.
      expect((await loaded(store, "e1")).status).toBe("FAILED");
    });

    it("rerunsOf lists the reruns of an execution, oldest first", async (store) => {
      await failed(store);
      await store.enqueue(rerunOfE1("r1"), T0 + 20);
      await store.enqueueStarted(rerunOfE1("r2"), T0 + 21, [{ taskId: "b", attempt: 1 }]);
      expect(await store.rerunsOf("e1")).toEqual(["r1", "r2"]);
      expect(await store.rerunsOf("r1")).toEqual([]);
      expect(await store.rerunsOf("ghost")).toEqual([]);
      expect((await loaded(store, "r2")).tasks.map((t) => [t.taskId, t.status, t.output])).toEqual([
        ["a", "COMPLETED", { a: 1 }],
        ["b", "RUNNING", null],
        ["c", "PENDING", null],
      ]);
    });

    it("a carried task cannot be started again, and cancelling the rerun keeps it COMPLETED", async (store) => {
      await failed(store);
      await store.enqueue(rerunOfE1("r1"), T0 + 20);
      await expect(store.admit("r1", T0 + 21, [{ taskId: "a", attempt: 1 }])).rejects.toThrow();
      await store.cancel("r1", T0 + 22);
      expect((await loaded(store, "r1")).tasks.map((t) => [t.status, t.output])).toEqual([
        ["COMPLETED", { a: 1 }],
        ["CANCELLED", null],
        ["CANCELLED", null],
      ]);
    });

    it("a rerun of an execution that does not exist is refused and stores nothing", async (store) => {
      const before = await everything(store);
      await expect(store.enqueue(newExecution("r1", { rerunOf: "ghost" }), T0)).rejects.toThrow();
      expect(await everything(store)).toEqual(before);
    });
  });

  describe("actor", () => {
    it("the token that asked is recorded on the event each command appends; without one no actor is stored", async (store) => {
      await store.enqueue(newExecution("q1", { actor: "ci" }), T0);
      await store.enqueueStarted(newExecution("q2", { actor: "ops" }), T0, [{ taskId: "a", attempt: 1 }]);
      expect(await store.cancel("q1", T0 + 1, "ops")).toEqual({ outcome: "cancelled" });
      expect(await store.cancel("q2", T0 + 1, "ci")).toEqual({ outcome: "requested" });
      expect(await store.redrive("q1", T0 + 2, "ops")).toMatchObject({ outcome: "redriven" });
      await store.enqueue(newExecution("r1", { rerunOf: "q1", actor: "ci" }), T0 + 3);
      await store.enqueue(newExecution("plain"), T0 + 4);
      await store.cancel("plain", T0 + 5, null);
      const acted = async (id: string) =>
        (await store.events(id))!.filter((e) => e.data && "actor" in e.data).map((e) => [e.type, e.data!.actor]);
      expect(await acted("q1")).toEqual([
        ["ExecutionQueued", "ci"],
        ["ExecutionCancelRequested", "ops"],
        ["ExecutionRedriven", "ops"],
        ["ExecutionRerunCreated", "ci"],
      ]);
      expect(await acted("q2")).toEqual([
        ["ExecutionQueued", "ops"],
        ["ExecutionCancelRequested", "ci"],
      ]);
      expect(await acted("r1")).toEqual([["ExecutionQueued", "ci"]]);
      expect((await store.events("r1"))![0]!.data).toEqual({ rerunOf: "q1", actor: "ci" });
      expect(await acted("plain")).toEqual([]);
    });
  });
}
