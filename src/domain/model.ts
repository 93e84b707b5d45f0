/**
 * Records the store keeps and the API shows. Times are epoch milliseconds inside Baton and
 * ISO-8601 strings on the wire.
 */
import type { ErrorInfo } from "./errors.ts";
import type { ExecutionStatus, TaskStatus } from "./states.ts";

/** A stored definition version. */
export interface StoredDefinition {
  id: string;
  version: number;
  /** The JSON exactly as it was registered. */
  body: Record<string, unknown>;
  createdAt: number;
  /** The name of the token that registered this version; null without tokens. */
  registeredBy: string | null;
}

export interface TaskRun {
  taskId: string;
  name: string;
  status: TaskStatus;
  /** Attempts started so far (the number of the current or last attempt). */
  attempts: number;
  startedAt: number | null;
  endTime: number | null;
  nextAttemptAt: number | null;
  output: unknown;
  error: ErrorInfo | null;
  /** Attempts spent before the last redrive: the retry budget counts from here. */
  attemptBase: number;
  /** Copied COMPLETED from the execution this one reruns; never ran here. */
  carriedOver: boolean;
}

/** Where a task failed, recorded on the execution. */
export interface ExecutionError extends ErrorInfo {
  taskId: string | null;
}

export interface Execution {
  id: string;
  definitionId: string;
  definitionVersion: number;
  status: ExecutionStatus;
  input: Record<string, unknown>;
  output: unknown;
  error: ExecutionError | null;
  /** Accepted (the original `startTime`). */
  createdAt: number;
  /** First admitted to RUNNING. */
  startedAt: number | null;
  endTime: number | null;
  /** Not admitted before this time (delayed start); null for "as soon as a slot is free". */
  runAt: number | null;
  /** A cancel was accepted while RUNNING; the execution ends CANCELLED, also after a restart. */
  cancelRequestedAt: number | null;
  /** The execution this one reruns (`POST /jobs/{id}/rerun`). */
  rerunOf: string | null;
  /** Settled, but its handlers (onSuccess/onFailure/onExit) have not all run yet. */
  handlersPending: boolean;
  /** Higher starts first (`?priority=N`, default 0). */
  priority: number;
  /** The value of its definition's concurrency key, computed from the input at submit; null without one. */
  concurrencyKey: string | null;
  /** The schedule of its definition that started it (a fire or a manual trigger), or null. */
  scheduleId: string | null;
  /** The fire's nominal time (a trigger's: when it was asked), or null when not scheduled. */
  scheduledFor: number | null;
}

/** What admission needs to know of a QUEUED execution before it reads it: fixed at submit. */
export type QueuedRef = Pick<Execution, "id" | "definitionId" | "definitionVersion" | "priority" | "concurrencyKey">;

export interface ExecutionWithTasks extends Execution {
  tasks: TaskRun[];
}

export type EventType =
  | "ExecutionQueued"
  | "ExecutionStarted"
  | "ExecutionResumed"
  | "ExecutionRequeued"
  | "ExecutionCompleted"
  | "ExecutionFailed"
  | "TaskStarted"
  | "TaskCompleted"
  | "TaskRetrying"
  | "TaskFailed"
  | "TaskSkipped"
  | "TaskCancelled"
  | "ExecutionCancelRequested"
  | "ExecutionCancelled"
  | "ExecutionTimedOut"
  | "ExecutionRedriven"
  | "ExecutionRerunCreated"
  | "HandlerStarted"
  | "HandlerFinished";

/** One history record of an execution. `seq` orders all events of the database. */
export interface ExecutionEventRecord {
  seq: number;
  executionId: string;
  at: number;
  type: EventType;
  taskId: string | null;
  attempt: number | null;
  data: Record<string, unknown> | null;
}

export interface ExecutionPage {
  executions: Execution[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
  /** With `search`: how many executions were read for this page (matching or not). */
  scanned?: number;
}

export interface ListFilter {
  status?: ExecutionStatus;
  definitionId?: string;
  cursor?: string;
  limit: number;
  /**
   * Only executions created at or after this time (epoch ms). Stores may find the bound in
   * their insertion order, which follows `createdAt` unless the system clock stepped back.
   */
  createdFrom?: number;
  /** Only executions created before this time (epoch ms); see `createdFrom`. */
  createdTo?: number;
  /**
   * Only FAILED executions whose error has this name (with another `status`, none). Stores may
   * scan the failures for it: its cost grows with the failures in the range, not the history.
   */
  errorName?: string;
  /**
   * Only executions whose input or output, as JSON text, contains `text` (case-sensitive). A
   * bounded scan: it needs `definitionId` and reads at most `scan` executions of the range,
   * newest first, whatever they hold; the page says how many it read (`scanned`), and
   * `nextCursor` is where the reading stopped, so the next page reads on from there.
   */
  search?: { text: string; scan: number };
}

export interface SystemCounts {
  running: string[];
  queued: string[];
  queuedCount: number;
  completedCount: number;
  /** Exact counts of every status (kept by the writes, never counted). */
  byStatus: Record<ExecutionStatus, number>;
}

/** FAILED executions of one definition that failed with one error name (`failuresSince`). */
export interface FailureGroup {
  definitionId: string;
  /** The execution's error name; null when it failed without one. */
  errorName: string | null;
  count: number;
  /** When the latest of them ended (epoch ms). */
  lastAt: number;
}

/** What `failuresSince` counted. */
/** Executions created in one stretch of time, and how many of them have failed so far (`ExecutionReads.activity`). */
export interface ActivityBucket {
  /** Where the stretch starts (ms); it ends where the next starts. */
  from: number;
  created: number;
  failed: number;
  /** True when more failures than the scan allowed were there: `failed` is that bound, a floor. */
  capped: boolean;
}

export interface FailureSummary {
  /** The largest groups first. */
  groups: FailureGroup[];
  /** Failures counted, in every group (not only those returned). */
  counted: number;
  /** True when there were more failures than the scan allowed: the newest ones were counted. */
  capped: boolean;
}
