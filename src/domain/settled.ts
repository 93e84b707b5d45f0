/**
 * What handlers (`onSuccess`, `onFailure`, `onExit`) are told about the execution they run
 * for, built in one place from the execution's settled state, whether it just ended in this
 * process or is read back after a restart.
 */
import type { HandlerKind, HandlerSpec, JobDefinition } from "./definition.ts";
import type { ExecutionError, ExecutionEventRecord, TaskRun } from "./model.ts";

export type SettledStatus = "COMPLETED" | "FAILED" | "CANCELLED";

/** What a handler is told about the execution it runs for. */
export interface SettledExecution {
  id: string;
  status: SettledStatus;
  input: Record<string, unknown>;
  output: unknown;
  error: ExecutionError | null;
  failedTasks: string[];
  /** Every task's output (or `{error}` for a failed task), by task id. */
  results: Record<string, unknown>;
}

/** onSuccess for COMPLETED, onFailure for FAILED, then onExit for every outcome (CANCELLED runs only onExit). */
export function handlersFor(def: JobDefinition, status: SettledStatus): HandlerSpec[] {
  const first: HandlerKind | null = status === "COMPLETED" ? "onSuccess" : status === "FAILED" ? "onFailure" : null;
  return def.handlers.filter((h) => h.kind === first || h.kind === "onExit");
}

/** What dependents and handlers see of a task: its output, or `{error}` when it failed. */
export const resultOf = (task: Pick<TaskRun, "status" | "output" | "error">): unknown =>
  task.status === "FAILED" ? { error: task.error } : task.output;

/** The handlers' view of a settled execution. */
export function settledView(execution: {
  id: string;
  status: SettledStatus;
  input: Record<string, unknown>;
  output: unknown;
  error: ExecutionError | null;
  tasks: readonly TaskRun[];
}): SettledExecution {
  const results: Record<string, unknown> = {};
  for (const t of execution.tasks) results[t.taskId] = resultOf(t);
  return {
    id: execution.id,
    status: execution.status,
    input: execution.input,
    output: execution.output,
    error: execution.error,
    failedTasks: execution.tasks.filter((t) => t.status === "FAILED").map((t) => t.taskId),
    results,
  };
}

/**
 * The handlers already recorded as finished for the execution's current outcome, from its
 * history: a redrive starts a new outcome, so only `HandlerFinished` events after the last
 * `ExecutionRedriven` count.
 */
export function handlersFinished(events: readonly Pick<ExecutionEventRecord, "type" | "data">[]): Set<string> {
  const finished = new Set<string>();
  for (const e of events) {
    if (e.type === "ExecutionRedriven") finished.clear();
    else if (e.type === "HandlerFinished") finished.add(String(e.data?.handler));
  }
  return finished;
}
