import { describe, expect, test } from "bun:test";
import type { EventType } from "./model.ts";
import { handlersFinished, settledView } from "./settled.ts";

const ev = (type: EventType, handler?: string) => ({ type, data: handler ? { handler } : null });

describe("handlersFinished", () => {
  test("names the handlers recorded as finished", () => {
    expect(
      handlersFinished([
        ev("ExecutionFailed"),
        ev("HandlerStarted", "onFailure"),
        ev("HandlerFinished", "onFailure"),
        ev("HandlerStarted", "onExit"),
      ]),
    ).toEqual(new Set(["onFailure"]));
  });

  test("a redrive starts a new outcome: handlers finished before it do not count", () => {
    const events = [
      ev("ExecutionFailed"),
      ev("HandlerFinished", "onFailure"),
      ev("HandlerFinished", "onExit"),
      ev("ExecutionRedriven"),
      ev("ExecutionFailed"),
      ev("HandlerFinished", "onFailure"),
    ];
    expect(handlersFinished(events)).toEqual(new Set(["onFailure"]));
  });
});

describe("settledView", () => {
  test("results hold outputs, and {error} for failed tasks; failedTasks in task order", () => {
    const task = (taskId: string, status: "COMPLETED" | "FAILED", output: unknown, error: { name: string; message: string } | null) => ({
      taskId,
      name: taskId,
      status,
      attempts: 1,
      startedAt: 1,
      endTime: 2,
      nextAttemptAt: null,
      output,
      error,
      attemptBase: 0,
      carriedOver: false,
    });
    const view = settledView({
      id: "e1",
      status: "FAILED",
      input: { a: 1 },
      output: null,
      error: { taskId: "b", name: "Boom", message: "no" },
      tasks: [task("a", "COMPLETED", { x: 1 }, null), task("b", "FAILED", null, { name: "Boom", message: "no" })],
    });
    expect(view.results).toEqual({ a: { x: 1 }, b: { error: { name: "Boom", message: "no" } } });
    expect(view.failedTasks).toEqual(["b"]);
  });
});
