import { NonRetryableError } from "../domain/errors.ts";
import type { TaskContext } from "../domain/function.ts";

/**
 * `fail`: throws an error named `params.errorName` (default `TaskFailed`) on the first
 * `params.times` attempts (every attempt when absent), then returns `{attempt}`.
 */
export function fail(ctx: TaskContext): { attempt: number } {
  const { times, errorName = "TaskFailed", message } = ctx.params;
  if (times !== undefined && (typeof times !== "number" || !Number.isInteger(times) || times < 0)) {
    throw new NonRetryableError(`params.times must be a non-negative integer, got ${JSON.stringify(times)}`);
  }
  if (typeof errorName !== "string") throw new NonRetryableError("params.errorName must be a string");
  if (times === undefined || ctx.attempt <= times) {
    const error = new Error(typeof message === "string" ? message : `failing on purpose (attempt ${ctx.attempt})`);
    error.name = errorName;
    throw error;
  }
  return { attempt: ctx.attempt };
}
