/**
 * The two state machines of Baton, as data.
 *
 * Every write in the store is guarded by the state it expects, and the engine only asks
 * for transitions listed here; `test` walks every (state, event) pair of both tables.
 */

/** Status of an execution. */
export type ExecutionStatus =
  /**
   * Accepted and committed; waits for a slot (and for its `runAt`, if delayed). Left when the
   * engine admits it (RUNNING) or a cancel ends it (CANCELLED). A redrive brings a FAILED or
   * CANCELLED execution back here, keeping its COMPLETED tasks.
   */
  | "QUEUED"
  /**
   * Holds one of `maxConcurrentJobs` slots, backoff waits included. Left when nothing can run
   * any more, when a cancel request has aborted its attempts, or when its own `timeoutSeconds`
   * passed (FAILED, `States.Timeout`). A cancel request is stored on the row, so a restart
   * finishes it.
   */
  | "RUNNING"
  /** Terminal: every task COMPLETED, or FAILED with `continueOnFailure` (listed in `failedTasks`). */
  | "COMPLETED"
  /** Final unless redriven: a task failed for good (its dependents were SKIPPED), or the execution timed out. */
  | "FAILED"
  /** Final unless redriven: stopped by `POST /jobs/{id}/cancel`; unfinished tasks are CANCELLED. */
  | "CANCELLED";

/** Status of one task inside one execution. */
export type TaskStatus =
  /** Created with the execution; waits for its dependencies. Left when the engine starts attempt 1. */
  | "PENDING"
  /** An attempt is in flight. Left when the attempt returns, throws or times out. */
  | "RUNNING"
  /** An attempt failed and another is due at `nextAttemptAt` (persisted). Left when that attempt starts. */
  | "RETRYING"
  /** Terminal: an attempt returned; its value is the task's output. */
  | "COMPLETED"
  /** Final unless redriven: the last allowed attempt failed, or the error was not retryable. */
  | "FAILED"
  /** Final unless redriven: a dependency did not complete, so the task never ran. */
  | "SKIPPED"
  /** Final unless redriven: the execution was cancelled or timed out before the task finished. */
  | "CANCELLED";

export const EXECUTION_STATUSES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const satisfies readonly ExecutionStatus[];
export const TASK_STATUSES = [
  "PENDING",
  "RUNNING",
  "RETRYING",
  "COMPLETED",
  "FAILED",
  "SKIPPED",
  "CANCELLED",
] as const satisfies readonly TaskStatus[];

/** No further change happens on its own (a redrive may still bring FAILED or CANCELLED back). */
export const isTerminalExecution = (s: ExecutionStatus): boolean => s === "COMPLETED" || s === "FAILED" || s === "CANCELLED";
export const isTerminalTask = (s: TaskStatus): boolean => s === "COMPLETED" || s === "FAILED" || s === "SKIPPED" || s === "CANCELLED";

/** What can happen to an execution. */
export type ExecutionEvent = "admit" | "resume" | "requeue" | "complete" | "fail" | "cancel" | "timeout" | "redrive";
/** What can happen to a task. */
export type TaskEvent = "start" | "resume" | "succeed" | "retry" | "fail" | "skip" | "cancel" | "redrive";

const EXECUTION_TABLE: Record<ExecutionStatus, Partial<Record<ExecutionEvent, ExecutionStatus>>> = {
  QUEUED: { admit: "RUNNING", cancel: "CANCELLED" },
  // resume: a RUNNING execution found at start takes a slot again without changing status.
  // requeue: at start, RUNNING executions beyond a (lowered) limit go back to the queue.
  RUNNING: { resume: "RUNNING", requeue: "QUEUED", complete: "COMPLETED", fail: "FAILED", cancel: "CANCELLED", timeout: "FAILED" },
  COMPLETED: {},
  // redrive: back to the queue; COMPLETED tasks are kept, the others reset to PENDING.
  FAILED: { redrive: "QUEUED" },
  CANCELLED: { redrive: "QUEUED" },
};

const TASK_TABLE: Record<TaskStatus, Partial<Record<TaskEvent, TaskStatus>>> = {
  PENDING: { start: "RUNNING", skip: "SKIPPED", cancel: "CANCELLED" },
  // resume: the process died mid-attempt; the same attempt runs again.
  RUNNING: { resume: "RUNNING", succeed: "COMPLETED", retry: "RETRYING", fail: "FAILED", cancel: "CANCELLED" },
  RETRYING: { start: "RUNNING", cancel: "CANCELLED" },
  COMPLETED: {},
  // redrive: a fresh retry budget; attempt numbers keep counting.
  FAILED: { redrive: "PENDING" },
  SKIPPED: { redrive: "PENDING" },
  CANCELLED: { redrive: "PENDING" },
};

/** The execution status after `event`, or `null` when the transition is illegal. */
export function executionTransition(from: ExecutionStatus, event: ExecutionEvent): ExecutionStatus | null {
  return EXECUTION_TABLE[from][event] ?? null;
}

/** The task status after `event`, or `null` when the transition is illegal. */
export function taskTransition(from: TaskStatus, event: TaskEvent): TaskStatus | null {
  return TASK_TABLE[from][event] ?? null;
}

/** States a task may be in for `event` to apply: what the store's guarded UPDATEs check. */
export function taskSourcesOf(event: TaskEvent): TaskStatus[] {
  return TASK_STATUSES.filter((s) => TASK_TABLE[s][event] !== undefined);
}

export function executionSourcesOf(event: ExecutionEvent): ExecutionStatus[] {
  return EXECUTION_STATUSES.filter((s) => EXECUTION_TABLE[s][event] !== undefined);
}
