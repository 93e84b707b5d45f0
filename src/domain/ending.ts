/**
 * How an execution ends, decided from its definition and its tasks' states: the finish step
 * once every task is final, and the end a cancel or the execution's own timeout forces on it.
 * Pure: the engine's run applies these steps through `transitions.ts` and writes them.
 */
import type { JobDefinition } from "./definition.ts";
import { ErrorNames } from "./errors.ts";
import { specsOf, terminalTasks } from "./graph.ts";
import type { ExecutionError, TaskRun } from "./model.ts";
import { handlersFor } from "./settled.ts";
import { type ExecutionState, type FinishStep, isCancellable } from "./transitions.ts";

/** The end a cancel or the execution's timeout forces, whatever its tasks did. */
export interface ForcedEnd {
  status: "CANCELLED" | "FAILED";
  error: ExecutionError | null;
  timedOut: boolean;
}

/** CANCELLED on request, or FAILED with `States.Timeout` when `timeoutSeconds` passed. */
export function forcedEnd(kind: "cancel" | "timeout", timeoutSeconds: number | null): ForcedEnd {
  if (kind === "cancel") return { status: "CANCELLED", error: null, timedOut: false };
  return {
    status: "FAILED",
    error: {
      taskId: null,
      name: ErrorNames.Timeout,
      message: `the execution ran longer than its timeoutSeconds (${timeoutSeconds} s); running attempts were aborted`,
    },
    timedOut: true,
  };
}

/** A forced end: every unfinished task becomes CANCELLED in the same step. */
export function forcedFinishStep(end: ForcedEnd, def: JobDefinition, state: ExecutionState): FinishStep {
  const { status, error, timedOut } = end;
  const cancelTasks = state.tasks.filter((t) => isCancellable(t.status)).map((t) => t.taskId);
  return { kind: "finish", status, output: null, error, cancelTasks, timedOut, handlersPending: handlersFor(def, status).length > 0 };
}

/**
 * Every task is final: COMPLETED with the outputs of the tasks nothing depends on, unless a
 * task failed (without `continueOnFailure`) or did not complete, which fails the execution.
 */
export function finishStep(def: JobDefinition, rows: ReadonlyMap<string, TaskRun>): FinishStep {
  const specs = specsOf(def);
  const tasks = def.tasks.map((t) => row(rows, t.id));
  // Tasks that failed with continueOnFailure do not fail the execution.
  const bad = tasks.find((r) => r.status !== "COMPLETED" && !(r.status === "FAILED" && specs.get(r.taskId)?.continueOnFailure));
  if (!bad) {
    const output = Object.fromEntries(terminalTasks(def).map((t) => [t.id, row(rows, t.id).output]));
    return { kind: "finish", status: "COMPLETED", output, error: null, handlersPending: handlersFor(def, "COMPLETED").length > 0 };
  }
  const culprit = tasks.find((r) => r.status === "FAILED" && !specs.get(r.taskId)?.continueOnFailure) ?? bad;
  const error: ExecutionError = {
    taskId: culprit.taskId,
    ...(culprit.error ?? { name: ErrorNames.TaskFailed, message: `task ${culprit.taskId} ended ${culprit.status}` }),
  };
  return { kind: "finish", status: "FAILED", output: null, error, handlersPending: handlersFor(def, "FAILED").length > 0 };
}

function row(rows: ReadonlyMap<string, TaskRun>, taskId: string): TaskRun {
  const found = rows.get(taskId);
  if (!found) throw new Error(`the execution has no task row for ${taskId}`);
  return found;
}
