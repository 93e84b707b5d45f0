/** What a task function is and what it is given. */
import type { FieldIssue } from "./errors.ts";

/**
 * Largest task output, as serialized JSON: 4 MiB. The shell and http task kinds keep each
 * captured stream up to 1 MiB by default (stdout and stderr both), so their output with its
 * JSON escaping fits; a function returning more should store it elsewhere and return a reference.
 */
export const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** A structured log line from inside a task; fields are added to the line. */
export type TaskLog = (message: string, fields?: Record<string, unknown>) => void;

export interface TaskContext {
  executionId: string;
  taskId: string;
  /** 1 for the first attempt. A re-run after a crash keeps the same number. */
  attempt: number;
  /** The execution's input object. */
  input: Record<string, unknown>;
  /** The task's `params` from the definition. */
  params: Record<string, unknown>;
  /** Outputs of the tasks this one depends on, by task id. */
  results: Record<string, unknown>;
  /** Fires on timeout, cancel or shutdown; long work should stop when it does. */
  signal: AbortSignal;
  /** Handlers only (onSuccess/onFailure/onExit): how the execution ended. */
  execution?: { status: string; output: unknown; error: unknown; failedTasks: string[] };
  log: TaskLog;
}

/**
 * Code that performs a task. The resolved value (JSON, at most 4 MiB) is the task's output;
 * throwing fails the attempt, and the error's `name` is what `retry.errorEquals` matches.
 */
export type TaskFunction = ((ctx: TaskContext) => unknown) & {
  /**
   * Registration check of the params of a task or handler that names this function, before
   * templates resolve. Issue paths are relative to the params (`.command`).
   */
  checkParams?: (params: Record<string, unknown>) => FieldIssue[];
};

/** Functions by name, passed to the engine. */
export type FunctionRegistry = ReadonlyMap<string, TaskFunction>;
