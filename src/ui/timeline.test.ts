import { expect, test } from "bun:test";
import type { EventType, ExecutionEventRecord } from "../domain/model.ts";
import { attemptRows } from "./timeline.ts";

let seq = 0;
const ev = (
  at: number,
  type: EventType,
  taskId: string | null = null,
  attempt: number | null = null,
  data: Record<string, unknown> | null = null,
) => ({ seq: ++seq, executionId: "e1", at, type, taskId, attempt, data }) as ExecutionEventRecord;
const boom = { name: "Boom", message: "it broke" };

test("each attempt is a row with its outcome and error; a retry's wait lasts until the next attempt starts", () => {
  const rows = attemptRows(
    [
      ev(0, "ExecutionQueued"),
      ev(1, "ExecutionStarted"),
      ev(1, "TaskStarted", "a", 1),
      ev(5, "TaskRetrying", "a", 1, { error: boom, nextAttemptAt: new Date(9).toISOString() }),
      ev(10, "TaskStarted", "a", 2),
      ev(12, "TaskCompleted", "a", 2),
      ev(12, "TaskStarted", "b", 1),
      ev(20, "TaskFailed", "b", 1, { error: boom }),
      ev(20, "TaskSkipped", "c", null, { because: "b" }),
    ],
    100,
  );
  expect(rows).toEqual([
    { taskId: "a", attempt: 1, start: 1, end: 5, outcome: "RETRYING", error: boom, wait: { start: 5, end: 10 } },
    { taskId: "a", attempt: 2, start: 10, end: 12, outcome: "COMPLETED", error: null, wait: null },
    { taskId: "b", attempt: 1, start: 12, end: 20, outcome: "FAILED", error: boom, wait: null },
  ]);
});

test("a running attempt ends now; a pending retry waits until it is due; a cancel cuts the wait", () => {
  const running = attemptRows([ev(1, "TaskStarted", "a", 1)], 50);
  expect(running[0]).toMatchObject({ end: 50, outcome: "RUNNING" });
  const waiting = attemptRows(
    [ev(1, "TaskStarted", "a", 1), ev(3, "TaskRetrying", "a", 1, { error: boom, nextAttemptAt: new Date(40).toISOString() })],
    10,
  );
  expect(waiting[0]!.wait).toEqual({ start: 3, end: 40 });
  const cancelled = attemptRows(
    [
      ev(1, "TaskStarted", "a", 1),
      ev(3, "TaskRetrying", "a", 1, { error: boom, nextAttemptAt: new Date(40).toISOString() }),
      ev(7, "TaskCancelled", "a"),
    ],
    10,
  );
  expect(cancelled[0]!.wait).toEqual({ start: 3, end: 7 });
});
