/**
 * The tables of `states.ts` are the rules the code runs: for every (status, event) pair, the
 * functions of `transitions.ts` that act by that event are tried on a state in that status,
 * and together they must allow exactly the pairs the table allows, leading where it says.
 * (`states.test.ts` checks the tables themselves against the design.)
 */
import { describe, expect, test } from "bun:test";
import { running, state, T, task } from "../../test/helpers/transition-state.ts";
import {
  EXECUTION_STATUSES,
  type ExecutionEvent,
  type ExecutionStatus,
  executionTransition,
  TASK_STATUSES,
  type TaskEvent,
  type TaskStatus,
  taskTransition,
} from "./states.ts";
import { admit, applyStep, cancel, Effects, type ExecutionState, redrive, requeue, resume, StaleStateError } from "./transitions.ts";

const err = { name: "Boom", message: "no" };

/**
 * Tries `act`: the status it led to when it moved by the event, "-" when it was refused
 * (`StaleStateError`) or did not move by this event. Anything else thrown fails the test.
 */
function outcome<S>(act: () => { moved: boolean; to: S }): S | "-" {
  try {
    const { moved, to } = act();
    return moved ? to : "-";
  } catch (e) {
    if (e instanceof StaleStateError) return "-";
    throw e;
  }
}

/** Every function that moves an execution by `event`, applied to `x`; the status reached is read back from `x`. */
const EXECUTION_ACTS: Record<ExecutionEvent, ((x: ExecutionState, fx: Effects) => boolean)[]> = {
  admit: [always((x, fx) => admit(x, [], T, fx))],
  resume: [always((x, fx) => resume(x, T, fx))],
  requeue: [always((x, fx) => requeue(x, "r", T, fx))],
  complete: [finish({ status: "COMPLETED" })],
  fail: [finish({ status: "FAILED" })],
  timeout: [finish({ status: "FAILED", timedOut: true })],
  cancel: [
    finish({ status: "CANCELLED" }),
    // A RUNNING execution only gets a request here (its end is a finish step); others are left alone.
    (x, fx) => cancel(x, T, fx).outcome === "cancelled",
  ],
  redrive: [(x, fx) => redrive(x, T, fx).outcome === "redriven"],
};

/** An act that moves whenever it does not throw. */
function always(act: (x: ExecutionState, fx: Effects) => void) {
  return (x: ExecutionState, fx: Effects): boolean => {
    act(x, fx);
    return true;
  };
}

function finish(over: { status: "COMPLETED" | "FAILED" | "CANCELLED"; timedOut?: boolean }) {
  return always((x, fx) => applyStep(x, { kind: "finish", output: null, error: null, ...over }, T, fx));
}

describe("the execution table is the one the functions run", () => {
  test("every (status, event) pair", () => {
    const table: Record<string, Record<string, string>> = {};
    const functions: Record<string, Record<string, string>> = {};
    for (const from of EXECUTION_STATUSES) {
      table[from] = {};
      functions[from] = {};
      for (const [event, acts] of Object.entries(EXECUTION_ACTS) as [ExecutionEvent, (typeof EXECUTION_ACTS)[ExecutionEvent]][]) {
        table[from][event] = executionTransition(from, event) ?? "-";
        const reached = new Set(
          acts.map((act) =>
            outcome(() => {
              const x = state(from, [task("a")]);
              const fx = new Effects();
              const moved = act(x, fx);
              // A move is reported exactly when the status changed.
              if (moved) expect(fx.moves).toEqual(x.status === from ? [] : [[from, x.status]]);
              return { moved, to: x.status };
            }),
          ),
        );
        reached.delete("-");
        // Acts of one event never disagree on where it leads.
        expect(reached.size).toBeLessThanOrEqual(1);
        functions[from][event] = [...reached][0] ?? "-";
      }
    }
    expect(functions).toEqual(table);
  });
});

/**
 * Every function that moves task `t` (status `from`, `attempts` attempts) by `event`, in
 * an execution the function expects; each returns the task as it is afterwards and whether
 * the event moved it.
 */
const TASK_ACTS: Record<TaskEvent, ((from: TaskStatus, attempts: number) => { moved: boolean; to: TaskStatus })[]> = {
  start: [(from, n) => step(from, n, { kind: "start", taskId: "t", attempt: n + 1 })],
  resume: [(from, n) => step(from, n, { kind: "start", taskId: "t", attempt: n, resumed: true })],
  succeed: [(from, n) => step(from, n, { kind: "complete", taskId: "t", attempt: n, output: 1 })],
  retry: [(from, n) => step(from, n, { kind: "retry", taskId: "t", attempt: n, error: err, nextAttemptAt: T + 1 })],
  fail: [(from, n) => step(from, n, { kind: "fail", taskId: "t", attempt: n, error: err, skip: [] })],
  // Skipped because another task failed.
  skip: [(from, n) => step(from, n, { kind: "fail", taskId: "other", attempt: 1, error: err, skip: ["t"] })],
  cancel: [
    (from, n) => step(from, n, { kind: "finish", status: "CANCELLED", output: null, error: null, cancelTasks: ["t"] }),
    // A QUEUED execution cancelled at once cancels each task that may be.
    (from, n) => {
      const x = withTask("QUEUED", from, n);
      const fx = new Effects();
      cancel(x, T, fx);
      return { moved: fx.events.some((e) => e.type === "TaskCancelled" && e.taskId === "t"), to: x.tasks[0]!.status };
    },
  ],
  redrive: [
    (from, n) => {
      const x = withTask("FAILED", from, n);
      const result = redrive(x, T, new Effects());
      return { moved: result.outcome === "redriven" && result.reset.includes("t"), to: x.tasks[0]!.status };
    },
  ],
};

/** Execution x1 in `status` with task t (`from`, `attempts`) and a RUNNING task "other". */
function withTask(status: ExecutionStatus, from: TaskStatus, attempts: number): ExecutionState {
  return state(status, [task("t", { status: from, attempts }), task("other", running(1))]);
}

function step(from: TaskStatus, attempts: number, s: Parameters<typeof applyStep>[1]) {
  const x = withTask("RUNNING", from, attempts);
  applyStep(x, s, T, new Effects());
  return { moved: true, to: x.tasks[0]!.status };
}

describe("the task table is the one the functions run", () => {
  test("every (status, event) pair", () => {
    const table: Record<string, Record<string, string>> = {};
    const functions: Record<string, Record<string, string>> = {};
    for (const from of TASK_STATUSES) {
      table[from] = {};
      functions[from] = {};
      // A task that never ran has no attempt yet; every other state has had one.
      const attempts = from === "PENDING" || from === "SKIPPED" ? 0 : 1;
      for (const [event, acts] of Object.entries(TASK_ACTS) as [TaskEvent, (typeof TASK_ACTS)[TaskEvent]][]) {
        table[from][event] = taskTransition(from, event) ?? "-";
        const reached = new Set(acts.map((act) => outcome(() => act(from, attempts))));
        reached.delete("-");
        expect(reached.size).toBeLessThanOrEqual(1);
        functions[from][event] = [...reached][0] ?? "-";
      }
    }
    expect(functions).toEqual(table);
  });
});
