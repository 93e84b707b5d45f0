/**
 * The steps of `transitions.ts` (start, resumed start, complete, retry, fail with skips,
 * finish), without a store: what each changes, the events, outputs, end and moves it
 * reports, and every refusal.
 */
import { describe, expect, test } from "bun:test";
import { err, running, state, T, task, types } from "../../test/helpers/transition-state.ts";
import { applyStep, Effects, type ExecutionState, StaleStateError, type Step } from "./transitions.ts";

describe("applyStep", () => {
  test("start, retry, start again, complete: the task and the events at each step", () => {
    const fx = new Effects();
    const x = state("RUNNING");
    applyStep(x, { kind: "start", taskId: "a", attempt: 1 }, T, fx);
    expect(x.tasks[0]).toEqual(task("a", running(1)));
    applyStep(x, { kind: "retry", taskId: "a", attempt: 1, error: err, nextAttemptAt: T + 9 }, T + 1, fx);
    expect(x.tasks[0]).toEqual(task("a", { status: "RETRYING", attempts: 1, startedAt: T, error: err, nextAttemptAt: T + 9 }));
    applyStep(x, { kind: "start", taskId: "a", attempt: 2 }, T + 9, fx);
    expect(x.tasks[0]).toEqual(task("a", running(2, { error: err })));
    applyStep(x, { kind: "complete", taskId: "a", attempt: 2, output: { n: 1 } }, T + 10, fx);
    expect(x.tasks[0]).toEqual(task("a", { status: "COMPLETED", attempts: 2, startedAt: T, endTime: T + 10 }));
    expect(fx.events.map((e) => [e.type, e.attempt, e.at, e.data])).toEqual([
      ["TaskStarted", 1, T, null],
      ["TaskRetrying", 1, T + 1, { error: err, nextAttemptAt: new Date(T + 9).toISOString() }],
      ["TaskStarted", 2, T + 9, null],
      ["TaskCompleted", 2, T + 10, null],
    ]);
    expect(fx.outputs).toEqual([["a", { n: 1 }]]);
    expect([fx.moves, fx.end]).toEqual([[], null]);
  });

  test("a resumed start keeps the attempt number and says so; null and undefined outputs are not listed", () => {
    const fx = new Effects();
    const x = state("RUNNING", [task("a", running(2)), task("b", running(1))]);
    applyStep(x, { kind: "start", taskId: "a", attempt: 2, resumed: true }, T + 5, fx);
    expect(x.tasks[0]).toEqual(task("a", running(2)));
    expect(fx.events[0]).toMatchObject({ type: "TaskStarted", attempt: 2, data: { resumed: true } });
    applyStep(x, { kind: "complete", taskId: "a", attempt: 2, output: null }, T, fx);
    applyStep(x, { kind: "complete", taskId: "b", attempt: 1, output: undefined }, T, fx);
    expect(fx.outputs).toEqual([]);
  });

  test("fail: FAILED with its error, and the listed PENDING tasks SKIPPED because of it", () => {
    const fx = new Effects();
    const x = state("RUNNING", [task("a", running(1)), task("b"), task("c")]);
    applyStep(x, { kind: "fail", taskId: "a", attempt: 1, error: err, skip: ["b", "c"] }, T + 1, fx);
    expect(x.tasks).toEqual([
      task("a", { status: "FAILED", attempts: 1, startedAt: T, endTime: T + 1, error: err }),
      task("b", { status: "SKIPPED", endTime: T + 1 }),
      task("c", { status: "SKIPPED", endTime: T + 1 }),
    ]);
    expect(fx.events.map((e) => [e.type, e.taskId, e.attempt, e.data])).toEqual([
      ["TaskFailed", "a", 1, { error: err }],
      ["TaskSkipped", "b", null, { because: "a" }],
      ["TaskSkipped", "c", null, { because: "a" }],
    ]);
  });

  test("finish: the end to write, the closing event and the move", () => {
    const done = new Effects();
    const x = state("RUNNING", []);
    applyStep(x, { kind: "finish", status: "COMPLETED", output: { ok: 1 }, error: null, handlersPending: true }, T, done);
    expect(x.status).toBe("COMPLETED");
    expect(done.end).toEqual({ status: "COMPLETED", output: { ok: 1 }, error: null, endTime: T, handlersPending: true });
    expect(done.events).toEqual([{ at: T, type: "ExecutionCompleted", taskId: null, attempt: null, data: null }]);
    expect(done.moves).toEqual([["RUNNING", "COMPLETED"]]);

    const failed = new Effects();
    const error = { taskId: "a", ...err };
    applyStep(state("RUNNING", []), { kind: "finish", status: "FAILED", output: null, error }, T, failed);
    expect(failed.events.map((e) => [e.type, e.data])).toEqual([["ExecutionFailed", { error }]]);
    expect(failed.end).toMatchObject({ status: "FAILED", error, handlersPending: false });
  });

  test("finish on a timeout: unfinished tasks cancelled first, then ExecutionTimedOut, then FAILED", () => {
    const fx = new Effects();
    const x = state("RUNNING", [task("a", running(1)), task("b", { status: "RETRYING", attempts: 1, nextAttemptAt: T + 9 }), task("c")]);
    const error = { taskId: null, name: "States.Timeout", message: "late" };
    applyStep(x, { kind: "finish", status: "FAILED", output: null, error, cancelTasks: ["a", "b", "c"], timedOut: true }, T, fx);
    expect(x.tasks.map((t) => [t.status, t.endTime, t.nextAttemptAt])).toEqual([
      ["CANCELLED", T, null],
      ["CANCELLED", T, null],
      ["CANCELLED", T, null],
    ]);
    expect(types(fx)).toEqual(["TaskCancelled:a", "TaskCancelled:b", "TaskCancelled:c", "ExecutionTimedOut", "ExecutionFailed"]);
    expect(fx.events[3]!.data).toEqual({ error });
    expect(fx.moves).toEqual([["RUNNING", "FAILED"]]);
  });

  const REFUSED: [string, ExecutionState, Step][] = [
    ["start under a skipped attempt number", state("RUNNING"), { kind: "start", taskId: "a", attempt: 2 }],
    ["start a RUNNING task", state("RUNNING", [task("a", running(1))]), { kind: "start", taskId: "a", attempt: 2 }],
    ["resume a PENDING task", state("RUNNING"), { kind: "start", taskId: "a", attempt: 0, resumed: true }],
    ["resume another attempt", state("RUNNING", [task("a", running(1))]), { kind: "start", taskId: "a", attempt: 2, resumed: true }],
    ["complete another attempt", state("RUNNING", [task("a", running(1))]), { kind: "complete", taskId: "a", attempt: 2, output: 1 }],
    ["complete a PENDING task", state("RUNNING"), { kind: "complete", taskId: "a", attempt: 0, output: 1 }],
    ["retry a PENDING task", state("RUNNING"), { kind: "retry", taskId: "a", attempt: 0, error: err, nextAttemptAt: T }],
    ["fail a PENDING task", state("RUNNING"), { kind: "fail", taskId: "a", attempt: 0, error: err, skip: [] }],
    [
      "skip a RUNNING task",
      state("RUNNING", [task("a", running(1)), task("b", running(1))]),
      { kind: "fail", taskId: "a", attempt: 1, error: err, skip: ["b"] },
    ],
    ["touch an unknown task", state("RUNNING"), { kind: "start", taskId: "zz", attempt: 1 }],
    ["finish a COMPLETED execution", state("COMPLETED"), { kind: "finish", status: "FAILED", output: null, error: null }],
    ["finish a QUEUED execution COMPLETED", state("QUEUED"), { kind: "finish", status: "COMPLETED", output: null, error: null }],
    // The table lets a QUEUED execution be cancelled (by `cancel`), but a finish step ends only a RUNNING one.
    ["finish a QUEUED execution FAILED", state("QUEUED"), { kind: "finish", status: "FAILED", output: null, error: null }],
    ["finish a QUEUED execution CANCELLED", state("QUEUED"), { kind: "finish", status: "CANCELLED", output: null, error: null }],
    [
      "finish on a timeout as COMPLETED",
      state("RUNNING"),
      { kind: "finish", status: "COMPLETED", output: null, error: null, timedOut: true },
    ],
    [
      "finish on a timeout as CANCELLED",
      state("RUNNING"),
      { kind: "finish", status: "CANCELLED", output: null, error: null, timedOut: true },
    ],
    [
      "finish cancelling a COMPLETED task",
      state("RUNNING", [task("a", { status: "COMPLETED" })]),
      { kind: "finish", status: "CANCELLED", output: null, error: null, cancelTasks: ["a"] },
    ],
  ];
  test("every step is refused unless the execution is RUNNING, whatever state its tasks are in", () => {
    const steps: Step[] = [
      { kind: "start", taskId: "a", attempt: 1 },
      { kind: "start", taskId: "b", attempt: 1, resumed: true },
      { kind: "complete", taskId: "b", attempt: 1, output: 1 },
      { kind: "retry", taskId: "b", attempt: 1, error: err, nextAttemptAt: T },
      { kind: "fail", taskId: "b", attempt: 1, error: err, skip: ["a"] },
      { kind: "finish", status: "CANCELLED", output: null, error: null, cancelTasks: ["a", "b"] },
    ];
    for (const step of steps) {
      // Each one applies to the execution RUNNING...
      applyStep(state("RUNNING", [task("a"), task("b", running(1))]), step, T);
      // ...and to no other: a QUEUED one requeued with a RUNNING task, or one finished without cancelling it.
      for (const status of ["QUEUED", "COMPLETED", "FAILED", "CANCELLED"] as const) {
        const x = state(status, [task("a"), task("b", running(1))]);
        const fx = new Effects();
        expect(() => applyStep(x, step, T, fx)).toThrow(`could not record a ${step.kind} step in execution x1: it is ${status}`);
        expect([x, fx.events]).toEqual([state(status, [task("a"), task("b", running(1))]), []]);
      }
    }
  });

  for (const [name, x, step] of REFUSED) {
    test(`refuses to ${name}, with the execution's id in the reason`, () => {
      expect(() => applyStep(structuredClone(x), step, T, new Effects())).toThrow(StaleStateError);
      expect(() => applyStep(structuredClone(x), step, T)).toThrow(/execution x1/);
    });
  }
});
