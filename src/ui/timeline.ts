/**
 * The attempts of an execution read from its history, for the Gantt chart: each attempt's
 * start, end and outcome, and the retry wait that followed it. Pure: events and "now" in,
 * rows out.
 */
import type { ErrorInfo } from "../domain/errors.ts";
import type { ExecutionEventRecord } from "../domain/model.ts";

export type AttemptOutcome = "RUNNING" | "COMPLETED" | "RETRYING" | "FAILED" | "CANCELLED";

export interface AttemptRow {
  taskId: string;
  attempt: number;
  start: number;
  /** When it ended; still running: now. */
  end: number;
  outcome: AttemptOutcome;
  error: ErrorInfo | null;
  /** The retry wait after a RETRYING attempt: until the next attempt started or, while waiting, until it is due. */
  wait: { start: number; end: number } | null;
}

const ENDS: Partial<Record<ExecutionEventRecord["type"], AttemptOutcome>> = {
  TaskCompleted: "COMPLETED",
  TaskRetrying: "RETRYING",
  TaskFailed: "FAILED",
  TaskCancelled: "CANCELLED",
};

export function attemptRows(events: readonly ExecutionEventRecord[], now: number): AttemptRow[] {
  const rows: AttemptRow[] = [];
  /** The running attempt of each task, and the last attempt of each task (whose wait the next start ends). */
  const open = new Map<string, AttemptRow>();
  const last = new Map<string, AttemptRow>();
  for (const e of events) {
    if (e.taskId === null) continue;
    if (e.type === "TaskStarted") {
      const before = last.get(e.taskId);
      if (before?.wait) before.wait.end = e.at;
      const row: AttemptRow = {
        taskId: e.taskId,
        attempt: e.attempt ?? 1,
        start: e.at,
        end: now,
        outcome: "RUNNING",
        error: null,
        wait: null,
      };
      rows.push(row);
      open.set(e.taskId, row);
      last.set(e.taskId, row);
      continue;
    }
    const outcome = ENDS[e.type];
    if (outcome === undefined) continue;
    const row = open.get(e.taskId);
    if (!row) {
      // A wait cancelled or skipped before its next attempt: the wait ends here.
      const waiting = last.get(e.taskId)?.wait;
      if (waiting && waiting.end > e.at) waiting.end = e.at;
      continue;
    }
    open.delete(e.taskId);
    row.end = e.at;
    row.outcome = outcome;
    row.error = errorOf(e.data);
    if (outcome === "RETRYING") {
      const due = Date.parse(String(e.data?.nextAttemptAt ?? ""));
      row.wait = { start: e.at, end: Number.isNaN(due) ? e.at : due };
    }
  }
  return rows;
}

function errorOf(data: Record<string, unknown> | null): ErrorInfo | null {
  const error = data?.error as { name?: unknown; message?: unknown } | undefined;
  return error && typeof error.name === "string" ? { name: error.name, message: String(error.message ?? "") } : null;
}
