/**
 * The rules of `transitions.ts`, without a store: what each change of a whole execution
 * (creation, admission, resume, requeue, cancel, redrive) does, the events and status moves
 * it reports, and what it refuses. Steps are in `transitions-steps.test.ts`; the walk over
 * every (status, event) pair of the tables is in `transitions-tables.test.ts`.
 */
import { describe, expect, test } from "bun:test";
import { err, running, state, T, task, types } from "../../test/helpers/transition-state.ts";
import {
  admit,
  allTasksFinal,
  cancel,
  createExecution,
  Effects,
  initialTasks,
  isCancellable,
  redrive,
  requeue,
  resume,
  StaleStateError,
} from "./transitions.ts";

describe("new executions", () => {
  test("initialTasks: PENDING with nothing done; a carried task COMPLETED now, marked carried over", () => {
    expect(
      initialTasks(
        [
          { taskId: "a", name: "A" },
          { taskId: "b", name: "B", carried: { output: 1 } },
        ],
        T,
      ),
    ).toEqual([task("a"), task("b", { status: "COMPLETED", endTime: T, carriedOver: true })]);
  });

  test("createExecution: QUEUED, one ExecutionQueued event, one move from nowhere", () => {
    const fx = new Effects();
    const x = createExecution({ id: "x1", tasks: [{ taskId: "a", name: "A" }] }, T, fx);
    expect(x).toEqual(state("QUEUED", [task("a")]));
    expect(fx.events).toEqual([{ at: T, type: "ExecutionQueued", taskId: null, attempt: null, data: null }]);
    expect(fx.moves).toEqual([[null, "QUEUED"]]);
    expect([fx.outputs, fx.end]).toEqual([[], null]);
  });

  test("createExecution: runAt and rerunOf in the event; carried outputs listed, null ones not", () => {
    const fx = new Effects();
    const tasks = [
      { taskId: "a", name: "A", carried: { output: { a: 1 } } },
      { taskId: "b", name: "B", carried: { output: null } },
      { taskId: "c", name: "C" },
    ];
    createExecution({ id: "x1", tasks, runAt: T + 5000, rerunOf: "x0" }, T, fx);
    expect(fx.events[0]!.data).toEqual({ runAt: new Date(T + 5000).toISOString(), rerunOf: "x0" });
    expect(fx.outputs).toEqual([["a", { a: 1 }]]);
    const only = new Effects();
    createExecution({ id: "x2", tasks, rerunOf: "x0" }, T, only);
    expect(only.events[0]!.data).toEqual({ runAt: undefined, rerunOf: "x0" });
  });

  test("createExecution with start: admitted in the same change", () => {
    const fx = new Effects();
    const x = createExecution({ id: "x1", tasks: [{ taskId: "a", name: "A" }] }, T, fx, [{ taskId: "a", attempt: 1 }]);
    expect(x.status).toBe("RUNNING");
    expect(x.tasks[0]).toMatchObject(running(1));
    expect(types(fx)).toEqual(["ExecutionQueued", "ExecutionStarted", "TaskStarted:a"]);
    expect(fx.moves).toEqual([
      [null, "QUEUED"],
      ["QUEUED", "RUNNING"],
    ]);
  });

  test("createExecution refuses a start of a carried task or under the wrong attempt", () => {
    const tasks = [
      { taskId: "a", name: "A", carried: { output: 1 } },
      { taskId: "b", name: "B" },
    ];
    expect(() => createExecution({ id: "x1", tasks }, T, new Effects(), [{ taskId: "a", attempt: 1 }])).toThrow(StaleStateError);
    expect(() => createExecution({ id: "x1", tasks }, T, new Effects(), [{ taskId: "b", attempt: 2 }])).toThrow(StaleStateError);
  });
});

describe("admit, resume, requeue", () => {
  test("admit: QUEUED → RUNNING, starting the given attempts; the engine's view (no Effects) changes the same", () => {
    const fx = new Effects();
    const x = state("QUEUED", [task("a"), task("b", { status: "RETRYING", attempts: 1, nextAttemptAt: T + 9, startedAt: T - 5 })]);
    admit(
      x,
      [
        { taskId: "a", attempt: 1 },
        { taskId: "b", attempt: 2 },
      ],
      T,
      fx,
    );
    expect(x.status).toBe("RUNNING");
    expect(x.tasks).toEqual([task("a", running(1)), task("b", running(2, { startedAt: T - 5 }))]);
    expect(types(fx)).toEqual(["ExecutionStarted", "TaskStarted:a", "TaskStarted:b"]);
    expect(fx.moves).toEqual([["QUEUED", "RUNNING"]]);
    const view = state("QUEUED", [task("a"), task("b", { status: "RETRYING", attempts: 1, nextAttemptAt: T + 9, startedAt: T - 5 })]);
    admit(
      view,
      [
        { taskId: "a", attempt: 1 },
        { taskId: "b", attempt: 2 },
      ],
      T,
    );
    expect(view).toEqual(x);
  });

  test("admit refuses an execution that is not QUEUED, and a start its task refuses", () => {
    expect(() => admit(state("RUNNING"), [], T, new Effects())).toThrow(
      new StaleStateError("could not admit the execution in execution x1: it is RUNNING"),
    );
    expect(() => admit(state("QUEUED"), [{ taskId: "zz", attempt: 1 }], T)).toThrow(new StaleStateError("execution x1 has no task zz"));
    expect(() => admit(state("QUEUED", [task("a", running(1))]), [{ taskId: "a", attempt: 2 }], T)).toThrow(StaleStateError);
  });

  test("resume: RUNNING stays RUNNING, with an event and no move", () => {
    const fx = new Effects();
    const x = state("RUNNING", [task("a", running(1))]);
    resume(x, T, fx);
    expect(x).toEqual(state("RUNNING", [task("a", running(1))]));
    expect(types(fx)).toEqual(["ExecutionResumed"]);
    expect(fx.moves).toEqual([]);
    expect(() => resume(state("QUEUED"), T, new Effects())).toThrow(StaleStateError);
  });

  test("requeue: RUNNING → QUEUED with the reason; the tasks keep their progress", () => {
    const fx = new Effects();
    const x = state("RUNNING", [task("a", running(1))]);
    requeue(x, "too many", T, fx);
    expect(x).toEqual(state("QUEUED", [task("a", running(1))]));
    expect(fx.events).toEqual([{ at: T, type: "ExecutionRequeued", taskId: null, attempt: null, data: { reason: "too many" } }]);
    expect(fx.moves).toEqual([["RUNNING", "QUEUED"]]);
    expect(() => requeue(state("QUEUED"), "r", T, new Effects())).toThrow(StaleStateError);
  });
});

describe("cancel", () => {
  test("QUEUED: CANCELLED at once, its unfinished tasks too; a carried COMPLETED task stays", () => {
    const fx = new Effects();
    const x = state("QUEUED", [task("a", { status: "COMPLETED", carriedOver: true, endTime: T - 1 }), task("b")]);
    expect(cancel(x, T, fx)).toEqual({ outcome: "cancelled" });
    expect(x.status).toBe("CANCELLED");
    expect(x.tasks.map((t) => [t.status, t.endTime])).toEqual([
      ["COMPLETED", T - 1],
      ["CANCELLED", T],
    ]);
    expect(types(fx)).toEqual(["ExecutionCancelRequested", "TaskCancelled:b", "ExecutionCancelled"]);
    expect(fx.moves).toEqual([["QUEUED", "CANCELLED"]]);
    expect(fx.end).toEqual({ status: "CANCELLED", output: null, error: null, endTime: T, handlersPending: false });
  });

  test("RUNNING: a request, recorded once; the status does not move", () => {
    const x = state("RUNNING");
    const first = new Effects();
    expect(cancel(x, T, first)).toEqual({ outcome: "requested" });
    expect([x.status, x.cancelRequestedAt]).toEqual(["RUNNING", T]);
    expect(types(first)).toEqual(["ExecutionCancelRequested"]);
    const again = new Effects();
    expect(cancel(x, T + 1, again)).toEqual({ outcome: "requested" });
    expect(x.cancelRequestedAt).toBe(T);
    expect([again.events, again.moves, again.end]).toEqual([[], [], null]);
  });

  test("finished: says how, changes nothing", () => {
    for (const status of ["COMPLETED", "FAILED", "CANCELLED"] as const) {
      const fx = new Effects();
      const x = state(status);
      expect(cancel(x, T, fx)).toEqual({ outcome: "finished", status });
      expect(x).toEqual(state(status));
      expect([fx.events, fx.moves, fx.end]).toEqual([[], [], null]);
    }
  });
});

describe("redrive", () => {
  test("FAILED → QUEUED: COMPLETED tasks kept, the others PENDING with a fresh budget counted from their attempts", () => {
    const fx = new Effects();
    const x = state("FAILED", [
      task("a", { status: "COMPLETED", attempts: 1, startedAt: T, endTime: T }),
      task("b", { status: "FAILED", attempts: 3, attemptBase: 1, startedAt: T, endTime: T, error: err }),
      task("c", { status: "SKIPPED", endTime: T }),
    ]);
    x.cancelRequestedAt = T - 1;
    expect(redrive(x, T + 1, fx)).toEqual({ outcome: "redriven", reset: ["b", "c"] });
    expect(x).toEqual(
      state("QUEUED", [
        task("a", { status: "COMPLETED", attempts: 1, startedAt: T, endTime: T }),
        task("b", { attempts: 3, attemptBase: 3, startedAt: T }),
        task("c"),
      ]),
    );
    expect(fx.events).toEqual([
      { at: T + 1, type: "ExecutionRedriven", taskId: null, attempt: null, data: { from: "FAILED", reset: ["b", "c"] } },
    ]);
    expect(fx.moves).toEqual([["FAILED", "QUEUED"]]);
  });

  test("CANCELLED → QUEUED, cancelled tasks reset", () => {
    const fx = new Effects();
    const x = state("CANCELLED", [task("a", { status: "CANCELLED", attempts: 1, endTime: T })]);
    expect(redrive(x, T, fx)).toEqual({ outcome: "redriven", reset: ["a"] });
    expect(x.tasks[0]).toEqual(task("a", { attempts: 1, attemptBase: 1 }));
    expect(fx.events[0]!.data).toEqual({ from: "CANCELLED", reset: ["a"] });
  });

  test("QUEUED, RUNNING, COMPLETED: refused, changing nothing", () => {
    for (const status of ["QUEUED", "RUNNING", "COMPLETED"] as const) {
      const fx = new Effects();
      const x = state(status);
      expect(redrive(x, T, fx)).toEqual({ outcome: "refused", status });
      expect(x).toEqual(state(status));
      expect([fx.events, fx.moves]).toEqual([[], []]);
    }
  });
});

describe("helpers", () => {
  test("isCancellable: exactly the unfinished task states", () => {
    expect(
      ["PENDING", "RUNNING", "RETRYING", "COMPLETED", "FAILED", "SKIPPED", "CANCELLED"].filter((s) => isCancellable(s as never)),
    ).toEqual(["PENDING", "RUNNING", "RETRYING"]);
  });

  test("allTasksFinal: true once no task can run any more", () => {
    expect(allTasksFinal(state("RUNNING", [task("a", { status: "COMPLETED" }), task("b", { status: "SKIPPED" })]))).toBe(true);
    expect(allTasksFinal(state("RUNNING", [task("a", { status: "COMPLETED" }), task("b", { status: "RETRYING" })]))).toBe(false);
    expect(allTasksFinal(state("RUNNING", []))).toBe(true);
  });

  test("Effects.event fills what is not given with null", () => {
    const fx = new Effects();
    fx.event(T, "ExecutionStarted");
    expect(fx.events).toEqual([{ at: T, type: "ExecutionStarted", taskId: null, attempt: null, data: null }]);
  });

  test("StaleStateError is named for logs", () => {
    expect(new StaleStateError("x").name).toBe("StaleStateError");
  });
});
