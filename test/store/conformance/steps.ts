/**
 * Steps recorded on an execution in flight (start, resumed start, complete, retry, fail with
 * skips, finish), and the guards: a step the task or the execution is not ready for is
 * refused with `StaleStateError`, and the whole `record` changes nothing.
 */
import { describe, expect } from "bun:test";
import type { Store } from "../../../src/domain/store.ts";
import { StaleStateError, type Step } from "../../../src/domain/transitions.ts";
import { completeTask, failTask, finishExecution, retryTask, startAttempt } from "../../helpers/store-steps.ts";
import { err, eventTypes, everything, loaded, newExecution, registered, T0, taskOf } from "../fixtures.ts";
import { type MakeStore, storeTest } from "./harness.ts";

/** `job` registered, e1 enqueued and admitted at T0 with every task PENDING. */
async function running(store: Store): Promise<void> {
  await registered(store);
  await store.enqueue(newExecution("e1"), T0);
  await store.admit("e1", T0);
}

const startA = (store: Store) => startAttempt(store, "e1", "a", 1, T0, false);
const retryingA = async (store: Store) => {
  await startA(store);
  await retryTask(store, "e1", "a", 1, err, T0 + 1000, T0);
};
const completedA = async (store: Store) => {
  await startA(store);
  await completeTask(store, "e1", "a", 1, null, T0);
};
const nothing = async () => {};
const record = (store: Store, steps: Step[]) => store.record("e1", steps, T0 + 1);

/** [what is refused, how to get there, the refused write]. */
const REFUSED: [string, (store: Store) => Promise<unknown>, (store: Store) => Promise<unknown>][] = [
  ["start a RUNNING task", startA, (s) => startAttempt(s, "e1", "a", 2, T0, false)],
  ["start with a skipped attempt number", nothing, (s) => startAttempt(s, "e1", "a", 2, T0, false)],
  ["start a RETRYING task under its last attempt number", retryingA, (s) => startAttempt(s, "e1", "a", 1, T0, false)],
  ["start a COMPLETED task", completedA, (s) => startAttempt(s, "e1", "a", 2, T0, false)],
  ["resume a PENDING task", nothing, (s) => startAttempt(s, "e1", "a", 0, T0, true)],
  ["resume a RUNNING task under another attempt number", startA, (s) => startAttempt(s, "e1", "a", 2, T0, true)],
  ["resume a RETRYING task", retryingA, (s) => startAttempt(s, "e1", "a", 1, T0, true)],
  ["resume a COMPLETED task", completedA, (s) => startAttempt(s, "e1", "a", 1, T0, true)],
  ["complete a PENDING task", nothing, (s) => completeTask(s, "e1", "a", 0, null, T0)],
  ["complete another attempt", startA, (s) => completeTask(s, "e1", "a", 2, null, T0)],
  ["complete a RETRYING task", retryingA, (s) => completeTask(s, "e1", "a", 1, null, T0)],
  ["complete a COMPLETED task again", completedA, (s) => completeTask(s, "e1", "a", 1, null, T0)],
  ["retry a PENDING task", nothing, (s) => retryTask(s, "e1", "a", 0, err, T0, T0)],
  ["retry another attempt", startA, (s) => retryTask(s, "e1", "a", 2, err, T0, T0)],
  ["retry a RETRYING task again", retryingA, (s) => retryTask(s, "e1", "a", 1, err, T0, T0)],
  ["retry a COMPLETED task", completedA, (s) => retryTask(s, "e1", "a", 1, err, T0, T0)],
  ["fail a PENDING task", nothing, (s) => failTask(s, "e1", "a", 0, err, [], T0)],
  ["fail another attempt", startA, (s) => failTask(s, "e1", "a", 2, err, [], T0)],
  [
    "fail a FAILED task again",
    async (s) => {
      await startA(s);
      await failTask(s, "e1", "a", 1, err, [], T0);
    },
    (s) => failTask(s, "e1", "a", 1, err, [], T0),
  ],
  [
    "fail a task and skip one that is not PENDING (the whole write rolls back)",
    async (s) => {
      await startA(s);
      await startAttempt(s, "e1", "b", 1, T0, false);
    },
    (s) => failTask(s, "e1", "a", 1, err, ["c", "b"], T0),
  ],
  ["fail a task and skip another twice", startA, (s) => failTask(s, "e1", "a", 1, err, ["b", "b"], T0)],
  ["fail a task and skip an unknown one", startA, (s) => failTask(s, "e1", "a", 1, err, ["zz"], T0)],
  ["touch an unknown task", nothing, (s) => startAttempt(s, "e1", "zz", 1, T0, false)],
  ["finish a QUEUED execution", (s) => s.enqueue(newExecution("e2"), T0), (s) => finishExecution(s, "e2", "COMPLETED", null, null, T0)],
  [
    "fail a QUEUED execution through a finish step",
    (s) => s.enqueue(newExecution("e2"), T0),
    (s) => s.record("e2", [{ kind: "finish", status: "FAILED", output: null, error: null }], T0),
  ],
  [
    "finish a finished execution",
    (s) => finishExecution(s, "e1", "COMPLETED", null, null, T0),
    (s) => finishExecution(s, "e1", "FAILED", null, null, T0),
  ],
  [
    "finish a CANCELLED execution",
    (s) => s.record("e1", [{ kind: "finish", status: "CANCELLED", output: null, error: null, cancelTasks: ["a", "b", "c"] }], T0),
    (s) => s.record("e1", [{ kind: "finish", status: "CANCELLED", output: null, error: null }], T0),
  ],
  [
    "finish with a timeout as COMPLETED",
    nothing,
    (s) => record(s, [{ kind: "finish", status: "COMPLETED", output: null, error: null, timedOut: true }]),
  ],
  [
    "finish with a timeout as CANCELLED",
    nothing,
    (s) => record(s, [{ kind: "finish", status: "CANCELLED", output: null, error: null, timedOut: true }]),
  ],
  [
    "finish cancelling a COMPLETED task",
    completedA,
    (s) => record(s, [{ kind: "finish", status: "CANCELLED", output: null, error: null, cancelTasks: ["a"] }]),
  ],
  [
    "finish cancelling an unknown task",
    nothing,
    (s) => record(s, [{ kind: "finish", status: "CANCELLED", output: null, error: null, cancelTasks: ["zz"] }]),
  ],
  ["start a task of a QUEUED execution", (s) => s.enqueue(newExecution("e2"), T0), (s) => startAttempt(s, "e2", "a", 1, T0, false)],
  [
    "start again a task of an execution requeued at a restart",
    async (s) => {
      await startA(s);
      await s.recover(0, T0);
    },
    (s) => startAttempt(s, "e1", "a", 1, T0, true),
  ],
  [
    "complete a task of an execution finished without cancelling it",
    async (s) => {
      await startA(s);
      await finishExecution(s, "e1", "FAILED", null, null, T0);
    },
    (s) => completeTask(s, "e1", "a", 1, null, T0),
  ],
  ["record steps of an execution that does not exist", nothing, (s) => s.record("ghost", [{ kind: "start", taskId: "a", attempt: 1 }], T0)],
  [
    "record several steps whose last is stale (the first ones roll back with it)",
    startA,
    (s) =>
      record(s, [
        { kind: "complete", taskId: "a", attempt: 1, output: { big: "x".repeat(100) } },
        { kind: "start", taskId: "b", attempt: 1 },
        { kind: "complete", taskId: "c", attempt: 1, output: 3 },
      ]),
  ],
  [
    "record a finish, then a step after it",
    nothing,
    (s) =>
      record(s, [
        { kind: "finish", status: "COMPLETED", output: { done: true }, error: null },
        { kind: "start", taskId: "a", attempt: 1 },
      ]),
  ],
];

export function stepTests(makeStore: MakeStore): void {
  const it = storeTest(makeStore, running);

  describe("steps", () => {
    it("start, retry, start again, complete: the task at each step", async (store) => {
      await startAttempt(store, "e1", "a", 1, T0 + 1, false);
      expect(await taskOf(store, "e1", "a")).toMatchObject({ status: "RUNNING", attempts: 1, startedAt: T0 + 1, nextAttemptAt: null });
      await retryTask(store, "e1", "a", 1, err, T0 + 1001, T0 + 1);
      expect(await taskOf(store, "e1", "a")).toMatchObject({
        status: "RETRYING",
        attempts: 1,
        error: err,
        nextAttemptAt: T0 + 1001,
        endTime: null,
      });
      await startAttempt(store, "e1", "a", 2, T0 + 1001, false);
      // startedAt is the first attempt's; the pending retry time is cleared.
      expect(await taskOf(store, "e1", "a")).toMatchObject({ status: "RUNNING", attempts: 2, startedAt: T0 + 1, nextAttemptAt: null });
      await completeTask(store, "e1", "a", 2, { rows: 3 }, T0 + 1500);
      expect(await taskOf(store, "e1", "a")).toMatchObject({
        status: "COMPLETED",
        attempts: 2,
        output: { rows: 3 },
        error: null,
        endTime: T0 + 1500,
      });
      const events = (await store.events("e1"))!.filter((e) => e.taskId === "a");
      expect(events.map((e) => [e.type, e.attempt, e.at, e.data])).toEqual([
        ["TaskStarted", 1, T0 + 1, null],
        ["TaskRetrying", 1, T0 + 1, { error: err, nextAttemptAt: new Date(T0 + 1001).toISOString() }],
        ["TaskStarted", 2, T0 + 1001, null],
        ["TaskCompleted", 2, T0 + 1500, null],
      ]);
    });

    it("a resumed attempt keeps its number and is marked resumed", async (store) => {
      await startAttempt(store, "e1", "a", 1, T0 + 1, false);
      await startAttempt(store, "e1", "a", 1, T0 + 99, true);
      expect(await taskOf(store, "e1", "a")).toMatchObject({ status: "RUNNING", attempts: 1, startedAt: T0 + 1 });
      const last = (await store.events("e1"))!.at(-1)!;
      expect([last.type, last.attempt, last.data]).toEqual(["TaskStarted", 1, { resumed: true }]);
    });

    it("outputs come back as stored; a null or undefined output is null", async (store) => {
      const outputs: [string, unknown][] = [
        ["a", { nested: { list: [1, "two", null, true] } }],
        ["b", 0],
        ["c", undefined],
      ];
      for (const [taskId, output] of outputs) {
        await startAttempt(store, "e1", taskId, 1, T0, false);
        await completeTask(store, "e1", taskId, 1, output, T0);
      }
      expect((await loaded(store, "e1")).tasks.map((t) => t.output)).toEqual([{ nested: { list: [1, "two", null, true] } }, 0, null]);
    });

    it("fail fails the task, skips the listed tasks and writes their events", async (store) => {
      await startAttempt(store, "e1", "a", 1, T0 + 1, false);
      await failTask(store, "e1", "a", 1, err, ["b", "c"], T0 + 2);
      const e = await loaded(store, "e1");
      expect(e.tasks.map((t) => [t.taskId, t.status, t.endTime])).toEqual([
        ["a", "FAILED", T0 + 2],
        ["b", "SKIPPED", T0 + 2],
        ["c", "SKIPPED", T0 + 2],
      ]);
      expect(e.tasks[0]!.error).toEqual(err);
      const tail = (await store.events("e1"))!.slice(-3);
      expect(tail.map((x) => [x.type, x.taskId, x.attempt, x.data])).toEqual([
        ["TaskFailed", "a", 1, { error: err }],
        ["TaskSkipped", "b", null, { because: "a" }],
        ["TaskSkipped", "c", null, { because: "a" }],
      ]);
    });

    it("finish records output or error and the closing event", async (store) => {
      await finishExecution(store, "e1", "FAILED", null, { taskId: "a", ...err }, T0 + 9);
      expect(await loaded(store, "e1")).toMatchObject({ status: "FAILED", output: null, error: { taskId: "a", ...err }, endTime: T0 + 9 });
      expect((await store.events("e1"))!.at(-1)).toMatchObject({ type: "ExecutionFailed", data: { error: { taskId: "a", ...err } } });

      await store.enqueue(newExecution("e2"), T0);
      await store.admit("e2", T0);
      await finishExecution(store, "e2", "COMPLETED", { c: 1 }, null, T0 + 10);
      expect(await loaded(store, "e2")).toMatchObject({ status: "COMPLETED", output: { c: 1 }, error: null, endTime: T0 + 10 });
      expect((await store.events("e2"))!.at(-1)).toMatchObject({ type: "ExecutionCompleted", data: null });
    });

    it("finish on a timeout cancels the unfinished tasks, says it timed out, and fails the execution", async (store) => {
      await startAttempt(store, "e1", "a", 1, T0, false);
      await retryTask(store, "e1", "a", 1, err, T0 + 500, T0);
      await startAttempt(store, "e1", "b", 1, T0, false);
      const error = { taskId: null, name: "States.Timeout", message: "timed out" };
      await record(store, [{ kind: "finish", status: "FAILED", output: null, error, cancelTasks: ["a", "b", "c"], timedOut: true }]);
      const e = await loaded(store, "e1");
      expect(e).toMatchObject({ status: "FAILED", error, endTime: T0 + 1 });
      expect(e.tasks.map((t) => [t.taskId, t.status, t.endTime, t.nextAttemptAt])).toEqual([
        ["a", "CANCELLED", T0 + 1, null],
        ["b", "CANCELLED", T0 + 1, null],
        ["c", "CANCELLED", T0 + 1, null],
      ]);
      expect((await eventTypes(store, "e1")).slice(-5)).toEqual([
        "TaskCancelled:a",
        "TaskCancelled:b",
        "TaskCancelled:c",
        "ExecutionTimedOut",
        "ExecutionFailed",
      ]);
      expect((await store.events("e1"))!.at(-2)!.data).toEqual({ error });
    });

    it("one record completes a task, starts the next and can settle the execution", async (store) => {
      await startAttempt(store, "e1", "a", 1, T0, false);
      await record(store, [
        { kind: "complete", taskId: "a", attempt: 1, output: 1 },
        { kind: "start", taskId: "b", attempt: 1 },
      ]);
      await record(store, [
        { kind: "complete", taskId: "b", attempt: 1, output: 2 },
        { kind: "start", taskId: "c", attempt: 1 },
      ]);
      await record(store, [
        { kind: "complete", taskId: "c", attempt: 1, output: 3 },
        { kind: "finish", status: "COMPLETED", output: { c: 3 }, error: null },
      ]);
      expect(await loaded(store, "e1")).toMatchObject({ status: "COMPLETED", output: { c: 3 } });
      expect((await loaded(store, "e1")).tasks.map((t) => t.output)).toEqual([1, 2, 3]);
      expect(await eventTypes(store, "e1")).toEqual([
        "ExecutionQueued",
        "ExecutionStarted",
        "TaskStarted:a",
        "TaskCompleted:a",
        "TaskStarted:b",
        "TaskCompleted:b",
        "TaskStarted:c",
        "TaskCompleted:c",
        "ExecutionCompleted",
      ]);
    });
  });

  describe("every guarded write refuses a state it does not expect, with StaleStateError, and changes nothing", () => {
    for (const [name, arrange, act] of REFUSED) {
      it(name, async (store) => {
        await arrange(store);
        const before = await everything(store);
        await expect(act(store)).rejects.toBeInstanceOf(StaleStateError);
        expect(await everything(store)).toEqual(before);
      });
    }
  });
}
