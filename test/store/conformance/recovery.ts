/**
 * Recovery at start: RUNNING executions within the limit keep their slots (oldest first), the
 * rest go back to the queue; then what is queued, delayed, and settled with handlers pending.
 */
import { describe, expect } from "bun:test";
import type { ExecutionReads } from "../../../src/domain/store.ts";
import { completeTask, finishExecution, startAttempt } from "../../helpers/store-steps.ts";
import { enqueued, eventTypes, everything, loaded, newExecution, planIds, registered, T0 } from "../fixtures.ts";
import { type MakeStore, storeTest } from "./harness.ts";

const status = async (store: ExecutionReads, ids: string[]) => Promise.all(ids.map(async (id) => (await loaded(store, id)).status));

export function recoveryTests(makeStore: MakeStore): void {
  const it = storeTest(makeStore, (store) => registered(store));

  describe("recover", () => {
    it("keeps the oldest RUNNING within the limit, requeues the rest, returns the queue in FIFO order", async (store) => {
      await enqueued(store, 7); // e1..e7
      for (const id of ["e1", "e2", "e3", "e4", "e5"]) await store.admit(id, T0 + 100);
      const plan = await planIds(store.recover(3, T0 + 500));
      expect(plan).toEqual({ running: ["e1", "e2", "e3"], queued: ["e4", "e5", "e6", "e7"], delayed: [], handlersPending: [] });
      expect(await status(store, ["e1", "e2", "e3", "e4", "e5", "e6", "e7"])).toEqual([
        "RUNNING",
        "RUNNING",
        "RUNNING",
        "QUEUED",
        "QUEUED",
        "QUEUED",
        "QUEUED",
      ]);
      expect((await store.events("e4"))!.at(-1)).toMatchObject({
        type: "ExecutionRequeued",
        at: T0 + 500,
        data: { reason: "more than 3 executions were RUNNING at start" },
      });
      expect(await eventTypes(store, "e1")).toEqual(["ExecutionQueued", "ExecutionStarted"]);
      expect(await store.systemCounts(10)).toMatchObject({ running: ["e1", "e2", "e3"], queuedCount: 4 });
      // A requeued execution keeps the time it was first admitted when it is admitted again.
      expect(await store.admit("e4", T0 + 900)).not.toBeNull();
      expect((await loaded(store, "e4")).startedAt).toBe(T0 + 100);
    });

    it("a requeued execution keeps its tasks' progress", async (store) => {
      await enqueued(store, 2);
      await store.admit("e1", T0, [{ taskId: "a", attempt: 1 }]);
      await store.admit("e2", T0, [{ taskId: "a", attempt: 1 }]);
      await completeTask(store, "e2", "a", 1, { kept: true }, T0 + 1);
      await startAttempt(store, "e2", "b", 1, T0 + 1);
      const { status: _, ...before } = await loaded(store, "e2");
      expect(await planIds(store.recover(1, T0 + 2))).toMatchObject({ running: ["e1"], queued: ["e2"] });
      expect(await loaded(store, "e2")).toEqual({ ...before, status: "QUEUED" });
    });

    it("with a limit of 0 every RUNNING execution goes back to the queue", async (store) => {
      await enqueued(store, 2);
      await store.admit("e2", T0);
      expect(await planIds(store.recover(0, T0 + 1))).toEqual({ running: [], queued: ["e1", "e2"], delayed: [], handlersPending: [] });
    });

    it("within the limit nothing changes", async (store) => {
      await enqueued(store, 3);
      await store.admit("e2", T0);
      const before = await everything(store);
      expect(await planIds(store.recover(10, T0))).toEqual({ running: ["e2"], queued: ["e1", "e3"], delayed: [], handlersPending: [] });
      expect(await everything(store)).toEqual(before);
    });

    it("leaves finished executions alone", async (store) => {
      await enqueued(store, 2);
      await store.admit("e1", T0);
      await finishExecution(store, "e1", "COMPLETED", null, null, T0);
      expect(await planIds(store.recover(1, T0))).toEqual({ running: [], queued: ["e2"], delayed: [], handlersPending: [] });
    });

    it("a QUEUED execution with a start time ahead is delayed; one due now or before is queued", async (store) => {
      await store.enqueue(newExecution("past", { runAt: T0 - 1 }), T0);
      await store.enqueue(newExecution("later", { runAt: T0 + 5000 }), T0);
      await store.enqueue(newExecution("now", { runAt: T0 + 1000 }), T0);
      await store.enqueue(newExecution("plain"), T0);
      expect(await planIds(store.recover(10, T0 + 1000))).toEqual({
        running: [],
        queued: ["past", "now", "plain"],
        delayed: [{ id: "later", runAt: T0 + 5000 }],
        handlersPending: [],
      });
    });

    it("a settled execution whose handlers have not all finished is listed until the last one is recorded", async (store) => {
      await enqueued(store, 2);
      await store.admit("e1", T0);
      await store.record("e1", [{ kind: "finish", status: "FAILED", output: null, error: null, handlersPending: true }], T0 + 1);
      await store.admit("e2", T0);
      await finishExecution(store, "e2", "COMPLETED", null, null, T0 + 1);
      expect(await loaded(store, "e1")).toMatchObject({ status: "FAILED", handlersPending: true });
      expect((await loaded(store, "e2")).handlersPending).toBe(false);
      expect((await store.recover(10, T0 + 2)).handlersPending).toEqual(["e1"]);

      await store.handlerStarted("e1", "onFailure", T0 + 3);
      await store.handlerFinished("e1", "onFailure", { status: "COMPLETED", output: { sent: 1 } }, false, T0 + 4);
      expect((await loaded(store, "e1")).handlersPending).toBe(true);
      await store.handlerStarted("e1", "onExit", T0 + 5);
      await store.handlerFinished("e1", "onExit", { status: "FAILED", error: { name: "Boom", message: "no" } }, true, T0 + 6);
      expect(await loaded(store, "e1")).toMatchObject({ status: "FAILED", handlersPending: false });
      expect((await store.recover(10, T0 + 7)).handlersPending).toEqual([]);
      expect((await store.events("e1"))!.slice(-4).map((e) => [e.type, e.at, e.data])).toEqual([
        ["HandlerStarted", T0 + 3, { handler: "onFailure" }],
        ["HandlerFinished", T0 + 4, { handler: "onFailure", status: "COMPLETED", output: { sent: 1 } }],
        ["HandlerStarted", T0 + 5, { handler: "onExit" }],
        ["HandlerFinished", T0 + 6, { handler: "onExit", status: "FAILED", error: { name: "Boom", message: "no" } }],
      ]);
    });

    it("handler events of an execution that does not exist are refused", async (store) => {
      await expect(store.handlerStarted("ghost", "onExit", T0)).rejects.toThrow();
      await expect(store.handlerFinished("ghost", "onExit", { status: "COMPLETED", output: null }, true, T0)).rejects.toThrow();
      expect(await store.events("ghost")).toBeNull();
    });
  });

  describe("flow control", () => {
    it("the plan carries each execution's definition, priority and concurrency key, as submitted", async (store) => {
      await store.enqueue(newExecution("hi", { priority: 7, concurrencyKey: "acme" }), T0);
      await store.enqueue(newExecution("later", { runAt: T0 + 9000, priority: -2 }), T0);
      await store.enqueueStarted(newExecution("run", { concurrencyKey: "bolt" }), T0, [{ taskId: "a", attempt: 1 }]);
      const ref = { definitionId: "job", definitionVersion: 1 };
      expect(await store.recover(10, T0 + 1)).toEqual({
        running: [{ id: "run", ...ref, priority: 0, concurrencyKey: "bolt" }],
        queued: [{ id: "hi", ...ref, priority: 7, concurrencyKey: "acme" }],
        delayed: [{ id: "later", ...ref, priority: -2, concurrencyKey: null, runAt: T0 + 9000 }],
        handlersPending: [],
      });
      expect(await loaded(store, "hi")).toMatchObject({ priority: 7, concurrencyKey: "acme" });
    });

    it("recentStarts: first-start times of a definition since a time, newest first, at most `limit`", async (store) => {
      await enqueued(store, 4);
      await store.admit("e1", T0 + 100);
      await store.admit("e2", T0 + 200);
      await store.admit("e3", T0 + 300);
      expect(await store.recentStarts("job", T0 + 150, 10)).toEqual([T0 + 300, T0 + 200]);
      expect(await store.recentStarts("job", T0, 1)).toEqual([T0 + 300]);
      expect(await store.recentStarts("other", T0, 10)).toEqual([]);
    });
  });
}
