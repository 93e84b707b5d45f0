/** What a task function is and what it is given. */

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
export type TaskFunction = (ctx: TaskContext) => unknown;

/** Functions by name, passed to the engine. */
export type FunctionRegistry = ReadonlyMap<string, TaskFunction>;
