import { describe, expect, test } from "bun:test";
import {
  EXECUTION_STATUSES,
  type ExecutionEvent,
  type ExecutionStatus,
  executionSourcesOf,
  executionTransition,
  isTerminalExecution,
  isTerminalTask,
  TASK_STATUSES,
  type TaskEvent,
  type TaskStatus,
  taskSourcesOf,
  taskTransition,
} from "./states.ts";

const EXECUTION_EVENTS: ExecutionEvent[] = ["admit", "resume", "requeue", "complete", "fail", "cancel", "timeout", "redrive"];
const TASK_EVENTS: TaskEvent[] = ["start", "resume", "succeed", "retry", "fail", "skip", "cancel", "redrive"];

// Written out by hand from DESIGN.md; `-` is an illegal transition.
// prettier-ignore
const EXPECTED_EXECUTION: Record<ExecutionStatus, Record<ExecutionEvent, ExecutionStatus | "-">> = {
  QUEUED: { admit: "RUNNING", resume: "-", requeue: "-", complete: "-", fail: "-", cancel: "CANCELLED", timeout: "-", redrive: "-" },
  RUNNING: {
    admit: "-",
    resume: "RUNNING",
    requeue: "QUEUED",
    complete: "COMPLETED",
    fail: "FAILED",
    cancel: "CANCELLED",
    timeout: "FAILED",
    redrive: "-",
  },
  COMPLETED: { admit: "-", resume: "-", requeue: "-", complete: "-", fail: "-", cancel: "-", timeout: "-", redrive: "-" },
  FAILED: { admit: "-", resume: "-", requeue: "-", complete: "-", fail: "-", cancel: "-", timeout: "-", redrive: "QUEUED" },
  CANCELLED: { admit: "-", resume: "-", requeue: "-", complete: "-", fail: "-", cancel: "-", timeout: "-", redrive: "QUEUED" },
};

// prettier-ignore
const EXPECTED_TASK: Record<TaskStatus, Record<TaskEvent, TaskStatus | "-">> = {
  PENDING: { start: "RUNNING", resume: "-", succeed: "-", retry: "-", fail: "-", skip: "SKIPPED", cancel: "CANCELLED", redrive: "-" },
  RUNNING: {
    start: "-",
    resume: "RUNNING",
    succeed: "COMPLETED",
    retry: "RETRYING",
    fail: "FAILED",
    skip: "-",
    cancel: "CANCELLED",
    redrive: "-",
  },
  RETRYING: { start: "RUNNING", resume: "-", succeed: "-", retry: "-", fail: "-", skip: "-", cancel: "CANCELLED", redrive: "-" },
  COMPLETED: { start: "-", resume: "-", succeed: "-", retry: "-", fail: "-", skip: "-", cancel: "-", redrive: "-" },
  FAILED: { start: "-", resume: "-", succeed: "-", retry: "-", fail: "-", skip: "-", cancel: "-", redrive: "PENDING" },
  SKIPPED: { start: "-", resume: "-", succeed: "-", retry: "-", fail: "-", skip: "-", cancel: "-", redrive: "PENDING" },
  CANCELLED: { start: "-", resume: "-", succeed: "-", retry: "-", fail: "-", skip: "-", cancel: "-", redrive: "PENDING" },
};

describe("execution state machine", () => {
  test("the status list is exactly the table's rows", () => {
    expect<string[]>([...EXECUTION_STATUSES].sort()).toEqual(Object.keys(EXPECTED_EXECUTION).sort());
  });

  test("every (state, event) pair", () => {
    const actual: Record<string, Record<string, string>> = {};
    for (const s of EXECUTION_STATUSES) {
      actual[s] = {};
      for (const e of EXECUTION_EVENTS) actual[s]![e] = executionTransition(s, e) ?? "-";
    }
    expect(actual).toEqual(EXPECTED_EXECUTION);
  });

  test("terminal states are exactly those with no way out", () => {
    for (const s of EXECUTION_STATUSES) {
      const hasExit = EXECUTION_EVENTS.some((e) => e !== "redrive" && EXPECTED_EXECUTION[s][e] !== "-");
      expect({ s, terminal: isTerminalExecution(s) }).toEqual({ s, terminal: !hasExit });
    }
  });

  test("executionSourcesOf lists the states an event applies to, in declaration order", () => {
    expect(executionSourcesOf("admit")).toEqual(["QUEUED"]);
    expect(executionSourcesOf("resume")).toEqual(["RUNNING"]);
    expect(executionSourcesOf("requeue")).toEqual(["RUNNING"]);
    expect(executionSourcesOf("complete")).toEqual(["RUNNING"]);
    expect(executionSourcesOf("fail")).toEqual(["RUNNING"]);
    expect(executionSourcesOf("cancel")).toEqual(["QUEUED", "RUNNING"]);
    expect(executionSourcesOf("timeout")).toEqual(["RUNNING"]);
    expect(executionSourcesOf("redrive")).toEqual(["FAILED", "CANCELLED"]);
  });
});

describe("task state machine", () => {
  test("the status list is exactly the table's rows", () => {
    expect<string[]>([...TASK_STATUSES].sort()).toEqual(Object.keys(EXPECTED_TASK).sort());
  });

  test("every (state, event) pair", () => {
    const actual: Record<string, Record<string, string>> = {};
    for (const s of TASK_STATUSES) {
      actual[s] = {};
      for (const e of TASK_EVENTS) actual[s]![e] = taskTransition(s, e) ?? "-";
    }
    expect(actual).toEqual(EXPECTED_TASK);
  });

  test("terminal states are exactly those with no way out", () => {
    for (const s of TASK_STATUSES) {
      // A redrive is an operator's request, not a transition the engine takes by itself.
      const hasExit = TASK_EVENTS.some((e) => e !== "redrive" && EXPECTED_TASK[s][e] !== "-");
      expect({ s, terminal: isTerminalTask(s) }).toEqual({ s, terminal: !hasExit });
    }
  });

  test("taskSourcesOf lists the states an event applies to, in declaration order", () => {
    expect(taskSourcesOf("start")).toEqual(["PENDING", "RETRYING"]);
    expect(taskSourcesOf("resume")).toEqual(["RUNNING"]);
    expect(taskSourcesOf("succeed")).toEqual(["RUNNING"]);
    expect(taskSourcesOf("retry")).toEqual(["RUNNING"]);
    expect(taskSourcesOf("fail")).toEqual(["RUNNING"]);
    expect(taskSourcesOf("skip")).toEqual(["PENDING"]);
    expect(taskSourcesOf("cancel")).toEqual(["PENDING", "RUNNING", "RETRYING"]);
    expect(taskSourcesOf("redrive")).toEqual(["FAILED", "SKIPPED", "CANCELLED"]);
  });
});
