/**
 * How an execution ends, from its definition and its tasks' states alone: the outputs of a
 * completed one, the task blamed for a failure, continueOnFailure, and a forced end.
 */
import { describe, expect, test } from "bun:test";
import { parseDefinition } from "./definition.ts";
import { finishStep, forcedEnd, forcedFinishStep } from "./ending.ts";
import { ErrorNames } from "./errors.ts";
import type { TaskRun } from "./model.ts";
import type { TaskStatus } from "./states.ts";

const def = (tasks: Record<string, unknown>[], handlers?: Record<string, unknown>) =>
  parseDefinition({ id: "j", tasks, ...(handlers ? { handlers } : {}) }, () => true);

const rows = (...tasks: [string, TaskStatus, unknown?][]) =>
  new Map<string, TaskRun>(
    tasks.map(([taskId, status, output = null]) => [
      taskId,
      {
        taskId,
        name: taskId,
        status,
        attempts: 1,
        startedAt: 0,
        endTime: 0,
        nextAttemptAt: null,
        output,
        error: status === "FAILED" ? { name: "Boom", message: `${taskId} broke` } : null,
        attemptBase: 0,
        carriedOver: false,
      },
    ]),
  );

describe("finishStep", () => {
  test("all COMPLETED: the output is the outputs of the tasks nothing depends on", () => {
    const d = def([
      { id: "a", functionName: "f" },
      { id: "b", functionName: "f", dependsOn: ["a"] },
      { id: "c", functionName: "f", dependsOn: ["a"] },
    ]);
    expect(finishStep(d, rows(["a", "COMPLETED", 1], ["b", "COMPLETED", 2], ["c", "COMPLETED", 3]))).toEqual({
      kind: "finish",
      status: "COMPLETED",
      output: { b: 2, c: 3 },
      error: null,
      handlersPending: false,
    });
  });

  test("a failed task fails the execution and is named; a skipped one is not the culprit", () => {
    const d = def(
      [
        { id: "a", functionName: "f" },
        { id: "b", functionName: "f" },
      ],
      { onFailure: { functionName: "f" } },
    );
    expect(finishStep(d, rows(["a", "SKIPPED"], ["b", "FAILED"]))).toEqual({
      kind: "finish",
      status: "FAILED",
      output: null,
      error: { taskId: "b", name: "Boom", message: "b broke" },
      handlersPending: true,
    });
  });

  test("a task that failed with continueOnFailure does not fail the execution", () => {
    const d = def([
      { id: "a", functionName: "f", continueOnFailure: true },
      { id: "b", functionName: "f", dependsOn: ["a"] },
    ]);
    expect(finishStep(d, rows(["a", "FAILED"], ["b", "COMPLETED", "ok"]))).toMatchObject({ status: "COMPLETED", output: { b: "ok" } });
  });

  test("no failed task but one that did not complete: States.TaskFailed names it", () => {
    const d = def([{ id: "a", functionName: "f" }]);
    expect(finishStep(d, rows(["a", "CANCELLED"])).error).toEqual({
      taskId: "a",
      name: ErrorNames.TaskFailed,
      message: "task a ended CANCELLED",
    });
  });
});

describe("forced ends", () => {
  test("a cancel: CANCELLED, every unfinished task cancelled in the same step, onExit pending", () => {
    const d = def(
      [
        { id: "a", functionName: "f" },
        { id: "b", functionName: "f" },
        { id: "c", functionName: "f" },
      ],
      {
        onExit: { functionName: "f" },
      },
    );
    const state = {
      id: "x",
      status: "RUNNING" as const,
      cancelRequestedAt: 1,
      tasks: [...rows(["a", "COMPLETED"], ["b", "RUNNING"], ["c", "PENDING"]).values()],
    };
    expect(forcedFinishStep(forcedEnd("cancel", null), d, state)).toEqual({
      kind: "finish",
      status: "CANCELLED",
      output: null,
      error: null,
      cancelTasks: ["b", "c"],
      timedOut: false,
      handlersPending: true,
    });
  });

  test("the execution's timeout: FAILED with States.Timeout, saying how long it was allowed", () => {
    expect(forcedEnd("timeout", 5)).toEqual({
      status: "FAILED",
      error: {
        taskId: null,
        name: ErrorNames.Timeout,
        message: "the execution ran longer than its timeoutSeconds (5 s); running attempts were aborted",
      },
      timedOut: true,
    });
  });
});
