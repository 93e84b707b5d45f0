/** New executions and admission: enqueue, enqueueStarted, admit (with starts) and resume. */
import { describe, expect } from "bun:test";
import { StaleStateError } from "../../../src/domain/transitions.ts";
import { completeTask } from "../../helpers/store-steps.ts";
import { enqueued, eventTypes, everything, loaded, newExecution, registered, T0, taskRun } from "../fixtures.ts";
import { type MakeStore, storeTest } from "./harness.ts";

const pending = (taskId: string, name: string) => taskRun({ taskId, name });

export function admissionTests(makeStore: MakeStore): void {
  const it = storeTest(makeStore, (store) => registered(store));

  describe("enqueue", () => {
    it("writes a QUEUED execution, PENDING tasks in order and one event", async (store) => {
      const e = await store.enqueue(newExecution("e1"), T0);
      expect(e).toEqual({
        id: "e1",
        definitionId: "job",
        definitionVersion: 1,
        status: "QUEUED",
        input: { n: "e1" },
        output: null,
        error: null,
        createdAt: T0,
        startedAt: null,
        endTime: null,
        runAt: null,
        cancelRequestedAt: null,
        rerunOf: null,
        handlersPending: false,
        priority: 0,
        concurrencyKey: null,
        scheduleId: null,
        scheduledFor: null,
      });
      expect(await loaded(store, "e1")).toEqual({ ...e, tasks: [pending("a", "A"), pending("b", "B"), pending("c", "C")] });
      expect(await store.events("e1")).toEqual([
        { seq: expect.any(Number), executionId: "e1", at: T0, type: "ExecutionQueued", taskId: null, attempt: null, data: null },
      ]);
    });

    it("a delayed start keeps its runAt and says so in its event", async (store) => {
      const e = await store.enqueue(newExecution("e1", { runAt: T0 + 60_000 }), T0);
      expect(e.runAt).toBe(T0 + 60_000);
      expect((await loaded(store, "e1")).runAt).toBe(T0 + 60_000);
      expect((await store.events("e1"))![0]!.data).toEqual({ runAt: new Date(T0 + 60_000).toISOString() });
    });

    it("a duplicate id is refused and changes nothing", async (store) => {
      await store.enqueue(newExecution("e1"), T0);
      const before = await everything(store);
      await expect(store.enqueue(newExecution("e1", { input: { other: true } }), T0 + 1)).rejects.toThrow();
      expect(await everything(store)).toEqual(before);
    });

    it("an unknown definition version is refused and stores nothing", async (store) => {
      const before = await everything(store);
      await expect(store.enqueue(newExecution("e1", { definitionVersion: 9 }), T0)).rejects.toThrow();
      await expect(store.enqueue(newExecution("e2", { definitionId: "nope" }), T0)).rejects.toThrow();
      expect(await everything(store)).toEqual(before);
    });
  });

  describe("enqueueStarted", () => {
    it("stores the execution RUNNING with its first attempts started", async (store) => {
      const e = await store.enqueueStarted(newExecution("e1"), T0, [{ taskId: "a", attempt: 1 }]);
      expect(e).toEqual(await loaded(store, "e1"));
      expect(e).toMatchObject({ status: "RUNNING", createdAt: T0, startedAt: T0 });
      expect(e.tasks.map((t) => [t.taskId, t.status, t.attempts, t.startedAt])).toEqual([
        ["a", "RUNNING", 1, T0],
        ["b", "PENDING", 0, null],
        ["c", "PENDING", 0, null],
      ]);
      expect(await eventTypes(store, "e1")).toEqual(["ExecutionQueued", "ExecutionStarted", "TaskStarted:a"]);
      expect(await store.systemCounts(10)).toMatchObject({ running: ["e1"], queued: [], queuedCount: 0 });
      // It goes on like any admitted execution.
      await store.record(
        "e1",
        [
          { kind: "complete", taskId: "a", attempt: 1, output: 1 },
          { kind: "start", taskId: "b", attempt: 1 },
        ],
        T0 + 1,
      );
      expect((await loaded(store, "e1")).tasks[0]).toMatchObject({ status: "COMPLETED", output: 1 });
    });

    it("is atomic: a start the tasks refuse stores nothing", async (store) => {
      const before = await everything(store);
      await expect(store.enqueueStarted(newExecution("e1"), T0, [{ taskId: "a", attempt: 2 }])).rejects.toBeInstanceOf(StaleStateError);
      await expect(store.enqueueStarted(newExecution("e1"), T0, [{ taskId: "zz", attempt: 1 }])).rejects.toBeInstanceOf(StaleStateError);
      await expect(
        store.enqueueStarted(newExecution("e1"), T0, [
          { taskId: "a", attempt: 1 },
          { taskId: "a", attempt: 1 },
        ]),
      ).rejects.toBeInstanceOf(StaleStateError);
      expect(await everything(store)).toEqual(before);
    });
  });

  describe("admit", () => {
    it("moves QUEUED to RUNNING once; a second admit is null and writes nothing", async (store) => {
      await store.enqueue(newExecution("e1"), T0);
      expect(await store.admit("e1", T0 + 10)).not.toBeNull();
      const before = await everything(store);
      expect(await store.admit("e1", T0 + 20)).toBeNull();
      expect(await everything(store)).toEqual(before);
      expect(await loaded(store, "e1")).toMatchObject({ status: "RUNNING", startedAt: T0 + 10 });
      expect(await eventTypes(store, "e1")).toEqual(["ExecutionQueued", "ExecutionStarted"]);
      expect(await store.admit("ghost", T0)).toBeNull();
    });

    it("is null for an execution that is not QUEUED, whatever its status", async (store) => {
      await enqueued(store, 3);
      await store.admit("e1", T0);
      await store.record("e1", [{ kind: "finish", status: "COMPLETED", output: null, error: null }], T0);
      await store.cancel("e2", T0);
      await store.admit("e3", T0);
      const before = await everything(store);
      for (const id of ["e1", "e2", "e3"]) expect(await store.admit(id, T0 + 1, [{ taskId: "a", attempt: 1 }])).toBeNull();
      expect(await everything(store)).toEqual(before);
    });

    it("starts the named tasks in the same write and returns the execution as admitted", async (store) => {
      await enqueued(store, 1);
      const admitted = await store.admit("e1", T0 + 5, [{ taskId: "a", attempt: 1 }]);
      expect(admitted).toMatchObject({ id: "e1", status: "RUNNING", startedAt: T0 + 5 });
      expect(admitted!.tasks.map((t) => [t.taskId, t.status, t.attempts])).toEqual([
        ["a", "RUNNING", 1],
        ["b", "PENDING", 0],
        ["c", "PENDING", 0],
      ]);
      expect(await eventTypes(store, "e1")).toEqual(["ExecutionQueued", "ExecutionStarted", "TaskStarted:a"]);
    });

    it("returns exactly what reading the execution back would, progress and outputs included", async (store) => {
      await enqueued(store, 2);
      const fresh = await store.admit("e1", T0 + 5, [{ taskId: "a", attempt: 1 }]);
      expect(fresh).toEqual(await loaded(store, "e1"));
      // Started before (requeued at a restart): progress and outputs included.
      await store.admit("e2", T0 + 5, [{ taskId: "a", attempt: 1 }]);
      await completeTask(store, "e2", "a", 1, 7, T0 + 6);
      await store.recover(1, T0 + 7); // e1 keeps its slot, e2 goes back to QUEUED
      const again = await store.admit("e2", T0 + 8, [{ taskId: "b", attempt: 1 }]);
      expect(again).toEqual(await loaded(store, "e2"));
      expect(again!.startedAt).toBe(T0 + 5);
      expect(again!.tasks.map((t) => [t.taskId, t.status, t.output])).toEqual([
        ["a", "COMPLETED", 7],
        ["b", "RUNNING", null],
        ["c", "PENDING", null],
      ]);
      expect(await store.admit("e2", T0 + 9, [])).toBeNull();
    });

    it("a start the tasks refuse refuses the admission: it stays QUEUED, unchanged", async (store) => {
      await enqueued(store, 1);
      const before = await everything(store);
      await expect(store.admit("e1", T0, [{ taskId: "a", attempt: 2 }])).rejects.toBeInstanceOf(StaleStateError);
      await expect(store.admit("e1", T0, [{ taskId: "zz", attempt: 1 }])).rejects.toBeInstanceOf(StaleStateError);
      expect(await everything(store)).toEqual(before);
    });
  });

  describe("resume", () => {
    it("appends ExecutionResumed to a RUNNING execution, and changes nothing else", async (store) => {
      await store.enqueue(newExecution("e1"), T0);
      await store.admit("e1", T0, [{ taskId: "a", attempt: 1 }]);
      const before = await loaded(store, "e1");
      await store.resume("e1", T0 + 1);
      expect(await eventTypes(store, "e1")).toEqual(["ExecutionQueued", "ExecutionStarted", "TaskStarted:a", "ExecutionResumed"]);
      expect((await store.events("e1"))!.at(-1)).toMatchObject({ at: T0 + 1, data: null });
      expect(await loaded(store, "e1")).toEqual(before);
    });

    it("refuses an execution that is not RUNNING, or does not exist", async (store) => {
      await enqueued(store, 2);
      await store.admit("e2", T0);
      await store.record("e2", [{ kind: "finish", status: "FAILED", output: null, error: null }], T0);
      const before = await everything(store);
      await expect(store.resume("e1", T0)).rejects.toBeInstanceOf(StaleStateError);
      await expect(store.resume("e2", T0)).rejects.toBeInstanceOf(StaleStateError);
      await expect(store.resume("ghost", T0)).rejects.toBeInstanceOf(StaleStateError);
      expect(await everything(store)).toEqual(before);
    });
  });
}
