/** A task function's context for unit tests: execution `e`, task `t`, attempt 1, no input or results. */
import type { TaskContext } from "../../src/domain/function.ts";

export const taskContext = (
  params: Record<string, unknown> = {},
  signal: AbortSignal = new AbortController().signal,
  log: TaskContext["log"] = () => {},
): TaskContext => ({
  executionId: "e",
  taskId: "t",
  attempt: 1,
  input: {},
  params,
  results: {},
  signal,
  log,
});
